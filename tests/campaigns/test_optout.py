"""Consent in the chat: a message that is itself the request opts the customer out (and back
in), recorded in the consent ledger with the customer's words and confirmed in the chat; Meta's
user_preferences webhook lands in the same ledger. Through the live server and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from niaga.campaigns.optout import is_opt_in, is_opt_out
from niaga.contacts import consent
from niaga.contacts.models import ConsentEvent, Contact
from niaga.core import events
from niaga.core.db import transaction
from tests.conftest import LiveServer, wait_for
from tests.factories import envelope
from tests.heard import heard
from tests.intake import drain, store
from tests.sandbox_client import SandboxControl

PHONE = "6281234577001"

OPT_OUTS = [
    "STOP",
    "stop",
    "  Berhenti  ",
    "BERHENTI",
    "UNSUBSCRIBE",
    "berhenti kirim promo",
    "Berhenti Kirim  Promo!",
    "Berhenti promo",  # the presets' quick-reply button
    "Stop promotions",
    "tolong berhenti kirim promo ya kak",
    "jangan kirim promo lagi",
    "unsub 🙏",
]
NOT_OPT_OUTS = [
    "stok ada?",
    "batal pesanan",
    "stop dulu ya, saya mau tanya ongkir",
    "kapan promonya berhenti?",
    "stop pesanan saya yang kemarin",
    "Stopnya di mana kak?",
    "berhentinya di halte mana",
    "mau pesan 2",
    "",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_a_message_that_is_the_request_opts_out(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_a_word_inside_another_sentence_does_not(text: str) -> None:
    assert not is_opt_out(text)


def test_opt_in_words() -> None:
    assert all(is_opt_in(t) for t in ("MULAI", "start", "Mulai lagi", "subscribe"))
    assert not any(is_opt_in(t) for t in ("mulai kirim pesanan", "start order", "mulai jam 9?"))


def ledger(factory: Any, phone: str = PHONE) -> list[tuple[bool, str, str | None]]:
    with factory() as s:
        contact = s.scalars(select(Contact).where(Contact.wa_id == phone)).one()
        return [(e.granted, e.source, e.proof) for e in consent.history(s, contact.id)]


def opted_out(factory: Any, phone: str = PHONE) -> bool:
    with factory() as s:
        return bool(
            s.scalars(select(Contact.marketing_opt_out).where(Contact.wa_id == phone)).one()
        )


def replies(niaga: LiveServer, phone: str = PHONE) -> list[str]:
    return [
        m["body"]["text"]["body"] for m in SandboxControl(niaga.url).messages(to=phone, type="text")
    ]


def test_stop_in_the_chat_opts_out_is_confirmed_and_mulai_brings_the_customer_back(
    niaga: LiveServer, factory: Any
) -> None:
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Dewi Lestari")
    sb.send(PHONE, type="text", text="stok gamis navy ada?")
    wait_for(lambda: _has_contact(factory))
    sb.send(PHONE, type="text", text="BERHENTI")
    wait_for(lambda: opted_out(factory), timeout=10)
    assert ledger(factory) == [(False, "chat", "BERHENTI")]
    confirm = wait_for(lambda: [r for r in replies(niaga) if "MULAI" in r])
    assert "tidak akan menerima promo" in confirm[0]

    sb.send(PHONE, type="text", text="Mulai")
    wait_for(lambda: not opted_out(factory), timeout=10)
    assert [g for g, _, _ in ledger(factory)] == [False, True]
    wait_for(lambda: [r for r in replies(niaga) if "kembali menerima info promo" in r])


def test_questions_with_stop_words_inside_change_nothing(niaga: LiveServer, factory: Any) -> None:
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Dewi Lestari")
    for text in ("stok ada?", "batal pesanan", "stop dulu ya, saya mau tanya ongkir"):
        sb.send(PHONE, type="text", text=text)
    wait_for(lambda: _messages(factory) == 3)
    sb.send(PHONE, type="text", text="Mulai")  # not opted out: "mulai" is just a word
    wait_for(lambda: _messages(factory) == 4)
    with factory() as s:
        assert s.scalars(select(ConsentEvent)).all() == []
    assert not opted_out(factory)


def _has_contact(factory: Any) -> bool:
    with factory() as s:
        return s.scalars(select(Contact.id).where(Contact.wa_id == PHONE)).first() is not None


def _messages(factory: Any) -> int:
    from niaga.inbox.models import Message

    with factory() as s:
        return len(s.scalars(select(Message.id).where(Message.direction == "in")).all())


def test_metas_preference_webhook_lands_in_the_ledger_once_per_change(
    own_factory: Any,
) -> None:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
        "user_preferences": [
            {
                "wa_id": PHONE,
                "detail": "User requested to stop marketing messages",
                "category": "marketing_messages",
                "value": "stop",
                "timestamp": 1764300500,
            }
        ],
    }
    with heard(events.CONTACT_CONSENT_CHANGED) as announced:
        store(own_factory, envelope(value, field="user_preferences"))
        store(own_factory, envelope(value, field="user_preferences"))  # Meta sends it twice
        drain(own_factory)
    assert opted_out(own_factory)
    assert ledger(own_factory) == [
        (False, "whatsapp", "User requested to stop marketing messages"),
        (False, "whatsapp", "User requested to stop marketing messages"),
    ]
    assert [e.data["granted"] for e in announced] == [False]
    with transaction(own_factory) as s:
        contact = s.scalars(select(Contact)).one()
        assert consent.state(s, contact.id).granted is False
        assert consent.do_record(s, contact, granted=True, source="agent", proof="by phone")
    assert not opted_out(own_factory)
