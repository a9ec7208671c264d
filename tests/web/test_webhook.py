"""The webhook receiver through real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from niaga.channels.whatsapp.models import AccountEvent, DeadLetter, WebhookEvent
from niaga.contacts.models import Contact
from niaga.inbox.models import Conversation, Message, MessageStatusEvent
from niaga.templates.models import MessageTemplate
from tests.conftest import FIXTURES, LiveServer, wait_for
from tests.factories import envelope, post_signed, status, text_message
from tests.intake import intake_of


def _secret(live: LiveServer) -> str:
    return live.settings.wa_app_secret


def _count(factory: Any, model: Any) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _all_processed(factory: Any) -> bool:
    with intake_of(factory)() as s:
        pending = s.scalar(
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.processed_at.is_(None))
        )
        return pending == 0


def test_handshake_echoes_challenge_only_with_the_right_token(niaga: LiveServer) -> None:
    ok = httpx.get(
        f"{niaga.url}/webhooks/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": niaga.settings.wa_verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = httpx.get(
        f"{niaga.url}/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert bad.status_code == 403 and "1" not in bad.text


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "garbage"])
def test_bad_or_missing_signature_is_refused_and_nothing_stored(
    niaga: LiveServer, factory: Any, signature: str
) -> None:
    r = post_signed(niaga.url, text_message("wamid.SIG1"), _secret(niaga), signature=signature)
    assert r.status_code == 401
    assert _count(intake_of(factory), WebhookEvent) == 0
    assert _count(factory, DeadLetter) == 0


def test_body_signed_with_another_secret_is_refused(niaga: LiveServer, factory: Any) -> None:
    r = post_signed(niaga.url, text_message("wamid.SIG2"), "not-the-app-secret")
    assert r.status_code == 401
    assert _count(intake_of(factory), WebhookEvent) == 0


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "not a webhook envelope"),
        (b'{"hello": "world"}', "not a webhook envelope"),
        (b'{"object": "whatsapp_business_account", "entry": {}}', "not a webhook envelope"),
        (b"[]", "not a webhook envelope"),
    ],
)
def test_signed_malformed_body_is_400_and_kept_as_dead_letter(
    niaga: LiveServer, factory: Any, body: bytes, why: str
) -> None:
    r = post_signed(niaga.url, body, _secret(niaga))
    assert r.status_code == 400
    with factory() as s:
        dead = s.scalars(select(DeadLetter)).all()
    assert len(dead) == 1
    assert dead[0].body == body
    assert why in dead[0].reason
    assert _count(intake_of(factory), WebhookEvent) == 0


def test_answer_200_means_the_raw_body_is_on_disk(niaga: LiveServer, factory: Any) -> None:
    payload = json.dumps(text_message("wamid.DISK1"), separators=(",", ":")).encode()
    r = post_signed(niaga.url, payload, _secret(niaga))
    assert r.status_code == 200
    with intake_of(factory)() as s:
        bodies = s.scalars(select(WebhookEvent.body)).all()
    assert payload in bodies  # byte for byte, as signed


def test_text_message_creates_contact_conversation_message(niaga: LiveServer, factory: Any) -> None:
    r = post_signed(
        niaga.url,
        text_message("wamid.T1", wa_id="6281234567890", body="Gamis L ada?", ts=1764300000),
        _secret(niaga),
    )
    assert r.status_code == 200
    wait_for(lambda: _count(factory, Message) == 1)
    with factory() as s:
        contact = s.scalars(select(Contact)).one()
        assert contact.phone == "+6281234567890"
        assert contact.wa_id == "6281234567890"
        assert contact.profile_name == "Siti Rahmawati"
        conv = s.scalars(select(Conversation)).one()
        assert conv.contact_id == contact.id and conv.status == "open"
        assert conv.unread_count == 1
        msg = s.scalars(select(Message)).one()
        assert (msg.direction, msg.type, msg.text, msg.wamid) == (
            "in",
            "text",
            "Gamis L ada?",
            "wamid.T1",
        )
        assert int(msg.created_at.timestamp()) == 1764300000
        assert conv.last_inbound_at == msg.created_at


def test_same_message_delivered_twice_is_one_message(niaga: LiveServer, factory: Any) -> None:
    payload = text_message("wamid.DUP1")
    for _ in range(3):
        assert post_signed(niaga.url, payload, _secret(niaga)).status_code == 200
    wait_for(lambda: _count(intake_of(factory), WebhookEvent) == 3 and _all_processed(factory))
    assert _count(factory, Message) == 1
    assert _count(factory, Contact) == 1


def _outbound(factory: Any, wamid: str) -> int:
    """An outbound message with a known wamid, as if the dispatcher had sent it."""
    with factory() as s, s.begin():
        contact = Contact(phone="+6281234567890", wa_id="6281234567890")
        conv = Conversation(contact=contact, phone_number_id="106540352242922")
        s.add_all([contact, conv])
        s.flush()
        msg = Message(
            conversation=conv,
            contact_id=contact.id,
            direction="out",
            wamid=wamid,
            type="text",
            text="Siap kak",
            status="sent",
            origin="agent",
        )
        s.add(msg)
        s.flush()
        return msg.id


def _message_status(factory: Any, wamid: str) -> str:
    with factory() as s:
        return s.scalars(select(Message.status).where(Message.wamid == wamid)).one()


def test_statuses_move_only_forward_even_when_reordered(niaga: LiveServer, factory: Any) -> None:
    _outbound(factory, "wamid.OUT1")
    secret = _secret(niaga)
    assert (
        post_signed(niaga.url, status("wamid.OUT1", "read", ts=1764300300), secret).status_code
        == 200
    )
    wait_for(lambda: _message_status(factory, "wamid.OUT1") == "read")
    # delivered and sent arrive late, and one twice: nothing moves back, duplicates are dropped
    for st, ts in (("delivered", 1764300200), ("sent", 1764300100), ("delivered", 1764300200)):
        assert post_signed(niaga.url, status("wamid.OUT1", st, ts=ts), secret).status_code == 200
    wait_for(lambda: _all_processed(factory))
    assert _message_status(factory, "wamid.OUT1") == "read"
    with factory() as s:
        seen = sorted(s.scalars(select(MessageStatusEvent.status)).all())
    assert seen == ["delivered", "read", "sent"]


def test_read_without_delivered_is_fine(niaga: LiveServer, factory: Any) -> None:
    _outbound(factory, "wamid.OUT2")
    post_signed(niaga.url, status("wamid.OUT2", "read"), _secret(niaga))
    wait_for(lambda: _message_status(factory, "wamid.OUT2") == "read")


def test_failed_status_keeps_metas_error(niaga: LiveServer, factory: Any) -> None:
    _outbound(factory, "wamid.OUT3")
    errors = [
        {
            "code": 131049,
            "title": "This message was not delivered to maintain healthy ecosystem engagement.",
            "message": "This message was not delivered to maintain healthy ecosystem engagement.",
            "error_data": {"details": "In order to maintain a healthy ecosystem engagement."},
        }
    ]
    post_signed(niaga.url, status("wamid.OUT3", "failed", errors=errors), _secret(niaga))
    wait_for(lambda: _message_status(factory, "wamid.OUT3") == "failed")
    with factory() as s:
        msg = s.scalars(select(Message).where(Message.wamid == "wamid.OUT3")).one()
    assert msg.error_code == 131049
    assert "healthy ecosystem" in (msg.error_title or "")
    # failed is terminal: a late read does not revive it
    post_signed(niaga.url, status("wamid.OUT3", "read", ts=1764300999), _secret(niaga))
    wait_for(lambda: _all_processed(factory))
    assert _message_status(factory, "wamid.OUT3") == "failed"


def test_pricing_is_recorded_on_the_message(niaga: LiveServer, factory: Any) -> None:
    _outbound(factory, "wamid.OUT4")
    pricing = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}
    post_signed(niaga.url, status("wamid.OUT4", "sent", pricing=pricing), _secret(niaga))
    wait_for(lambda: _all_processed(factory) and _count(factory, MessageStatusEvent) == 1)
    with factory() as s:
        msg = s.scalars(select(Message).where(Message.wamid == "wamid.OUT4")).one()
    assert msg.pricing["category"] == "marketing" and msg.pricing["type"] == "regular"


def test_contact_keyed_by_bsuid_then_by_phone(niaga: LiveServer, factory: Any) -> None:
    bsuid = "ID.13491208655302741918"
    only_user = text_message("wamid.U1", user_id=bsuid)
    value = only_user["entry"][0]["changes"][0]["value"]
    del value["contacts"][0]["wa_id"]
    del value["messages"][0]["from"]
    value["contacts"][0]["profile"]["username"] = "@sitirahma"
    post_signed(niaga.url, only_user, _secret(niaga))
    wait_for(lambda: _count(factory, Message) == 1)
    with factory() as s:
        c = s.scalars(select(Contact)).one()
        assert (c.user_id, c.wa_id, c.phone) == (bsuid, None, None)
    post_signed(
        niaga.url, text_message("wamid.U2", wa_id="6281234567890", user_id=bsuid), _secret(niaga)
    )
    wait_for(lambda: _count(factory, Message) == 2)
    with factory() as s:
        c = s.scalars(select(Contact)).one()
    assert (c.user_id, c.wa_id, c.phone) == (bsuid, "6281234567890", "+6281234567890")
    assert _count(factory, Conversation) == 1


def test_unknown_field_is_kept_not_500(niaga: LiveServer, factory: Any) -> None:
    payload = envelope({"brand_new_thing": {"x": 1}}, field="some_future_field")
    assert post_signed(niaga.url, payload, _secret(niaga)).status_code == 200
    wait_for(lambda: _count(factory, AccountEvent) == 1)
    with factory() as s:
        ev = s.scalars(select(AccountEvent)).one()
    with intake_of(factory)() as s:
        row = s.scalars(select(WebhookEvent)).one()
    assert ev.field == "some_future_field"
    assert row.error is None


def test_user_preferences_stop_opts_the_contact_out(niaga: LiveServer, factory: Any) -> None:
    post_signed(niaga.url, text_message("wamid.P1"), _secret(niaga))
    wait_for(lambda: _count(factory, Contact) == 1)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "106540352242922"},
        "contacts": [{"wa_id": "6281234567890", "profile": {"name": "Siti"}}],
        "user_preferences": [
            {
                "wa_id": "6281234567890",
                "detail": "User requested to stop marketing messages",
                "category": "marketing_messages",
                "value": "stop",
                "timestamp": 1764300500,
            }
        ],
    }
    post_signed(niaga.url, envelope(value, field="user_preferences"), _secret(niaga))

    def opted_out() -> bool:
        with factory() as s:
            return s.scalars(select(Contact.marketing_opt_out)).one()

    wait_for(opted_out)


def test_template_status_update_is_recorded(niaga: LiveServer, factory: Any) -> None:
    value = {
        "event": "APPROVED",
        "message_template_id": 1234567890,
        "message_template_name": "konfirmasi_pesanan",
        "message_template_language": "id",
        "reason": "NONE",
    }
    post_signed(niaga.url, envelope(value, field="message_template_status_update"), _secret(niaga))
    wait_for(lambda: _count(factory, MessageTemplate) == 1)
    with factory() as s:
        t = s.scalars(select(MessageTemplate)).one()
    assert (t.name, t.language, t.status) == ("konfirmasi_pesanan", "id", "APPROVED")


def _fixture_files() -> list[Any]:
    return sorted(p for p in FIXTURES.glob("*.json") if not p.name.startswith("spec_"))


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.stem)
def test_every_recorded_payload_is_accepted_and_processed_cleanly(
    niaga: LiveServer, factory: Any, path: Any
) -> None:
    payload = path.read_bytes()
    json.loads(payload)
    r = post_signed(niaga.url, payload, _secret(niaga))
    assert r.status_code == 200, r.text
    wait_for(lambda: _all_processed(factory))
    with intake_of(factory)() as s:
        row = s.scalars(select(WebhookEvent)).one()
    assert row.error is None, row.error
    assert _count(factory, DeadLetter) == 0
