"""Migration 0008: messages stored before typed content keep rendering the same.

A real database (SQLite file or PostgreSQL database of its own) is taken back to 0007, given
messages as the old code stored them (Meta's object of the type plus Niaga's own keys), and
upgraded; the inbox then reads and renders them through the typed content.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select

from niaga.channels.content import (
    Cart,
    CartItem,
    Choice,
    Contacts,
    Location,
    Media,
    NumberChange,
    ProductRef,
    Reaction,
    Text,
)
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import make_engine, make_sessionmaker
from niaga.core.i18n import format_idr
from niaga.core.migrate import downgrade, upgrade
from niaga.inbox.models import Conversation, Message
from niaga.web.templating import env

RAW_REFERRAL = {
    "source_url": "https://fb.me/3cr4Wqqkv",
    "source_id": "120226305854810726",
    "source_type": "ad",
    "headline": "Chat dengan kami",
    "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ",
    "welcome_message": {"text": "Halo!"},
}

# (type, content as stored before 0008)
OLD: list[tuple[str, dict[str, Any]]] = [
    (
        "order",
        {
            "catalog_id": "194836987003835",
            "text": "Tolong kirim ke Depok",
            "product_items": [
                {"product_retailer_id": "gamis-navy-l", "quantity": 2, "item_price": 185000},
                {"product_retailer_id": "hijab-abu", "quantity": "1", "item_price": "45000"},
            ],
        },
    ),
    (
        "document",
        {
            "id": "1000000000000004",
            "mime_type": "application/pdf",
            "sha256": "184d270e",
            "caption": "Invoice",
            "filename": "invoice.pdf",
        },
    ),
    (
        "location",
        {
            "latitude": -6.9175,
            "longitude": 107.6191,
            "name": "Gedung Sate",
            "address": "Jl. Diponegoro No.22, Bandung",
        },
    ),
    (
        "contacts",
        {
            "contacts": [
                {
                    "name": {"formatted_name": "Budi Santoso", "first_name": "Budi"},
                    "phones": [{"phone": "+62 813-9876-5405", "wa_id": "6281398765405"}],
                }
            ]
        },
    ),
    (
        "interactive:list_reply",
        {"type": "list_reply", "id": "csat-12-5", "title": "Sangat puas", "description": "5"},
    ),
    ("button", {"payload": "Lihat promo", "text": "Lihat promo"}),
    ("reaction", {"message_id": "wamid.TARGET1", "emoji": "❤️"}),
    (
        "text",
        {
            "body": "Ada warna lain?",
            "referred_product": {
                "catalog_id": "194836987003835",
                "product_retailer_id": "gamis-navy-l",
            },
            "edits": [{"text": "Ada warna lain?", "at": "2026-12-01T01:00:00+00:00"}],
            "read_sent": True,
        },
    ),
    (
        "system:user_changed_number",
        {"body": "User changed number", "type": "user_changed_number", "wa_id": "16505559999"},
    ),
]


@pytest.fixture
def old_db(fresh_database_url: str) -> Any:
    """The database at 0007 with messages as the old code stored them."""
    downgrade(fresh_database_url, "0007")
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    with factory() as s, s.begin():
        # The contacts table as it was at 0007 (later columns do not exist yet).
        now = clock.now()
        contact_id = s.execute(
            insert(Contact.__table__)
            .values(
                phone="+6281299990001",
                wa_id="6281299990001",
                marketing_opt_out=False,
                attributes={},
                created_at=now,
                updated_at=now,
            )
            .returning(Contact.__table__.c.id)
        ).scalar_one()
        conv = Conversation(
            contact_id=contact_id,
            phone_number_id="106540352242922",
            last_referral=RAW_REFERRAL,
        )
        s.add(conv)
        s.flush()
        for i, (kind, content) in enumerate(OLD):
            s.add(
                Message(
                    conversation_id=conv.id,
                    contact_id=contact_id,
                    direction="in",
                    wamid=f"wamid.OLD{i}",
                    type=kind,
                    text=content.get("text") if kind == "button" else None,
                    content=content,
                    referral=RAW_REFERRAL if kind == "text" else None,
                    status="received",
                    origin="customer",
                    created_at=clock.now(),
                )
            )
        s.add(
            Message(
                conversation_id=conv.id,
                contact_id=contact_id,
                direction="out",
                type="interactive",
                content={"type": "reply_buttons", "body": "Pilih ukuran", "buttons": []},
                status="sent",
                origin="agent",
            )
        )
    yield fresh_database_url, factory
    engine.dispose()


def _render(message: Message) -> str:
    template = env.from_string('{% import "_macros.html" as m with context %}{{ m.body(msg) }}')
    return template.render(
        msg=message, _=lambda text, **_: text, idr=lambda v: format_idr(int(v), "id")
    )


def test_stored_messages_are_typed_and_render_the_same_after_the_migration(old_db: Any) -> None:
    url, factory = old_db
    upgrade(url)
    upgrade(url)  # again: converted rows are left alone
    with factory() as s:
        got = {m.wamid: m for m in s.scalars(select(Message).where(Message.direction == "in"))}
        typed = {w: m.inbound for w, m in got.items()}
        assert typed["wamid.OLD0"] == Cart(
            catalog="194836987003835",
            note="Tolong kirim ke Depok",
            items=(
                CartItem(sku="gamis-navy-l", quantity=2, unit_price=185000),
                CartItem(sku="hijab-abu", quantity=1, unit_price=45000),
            ),
        )
        assert typed["wamid.OLD1"] == Media(
            media_kind="document",
            media_id="1000000000000004",
            mime="application/pdf",
            sha256="184d270e",
            caption="Invoice",
            filename="invoice.pdf",
        )
        assert isinstance(typed["wamid.OLD2"], Location)
        assert isinstance(typed["wamid.OLD3"], Contacts)
        assert typed["wamid.OLD4"] == Choice(
            via="list", choice_id="csat-12-5", title="Sangat puas", description="5"
        )
        assert typed["wamid.OLD5"] == Choice(
            via="template_button", choice_id="Lihat promo", title="Lihat promo"
        )
        assert typed["wamid.OLD6"] == Reaction(target_wamid="wamid.TARGET1", emoji="❤️")
        text = typed["wamid.OLD7"]
        assert isinstance(text, Text) and text.body == "Ada warna lain?"
        assert text.asked_about == ProductRef(sku="gamis-navy-l", catalog="194836987003835")
        assert text.read_sent and [e.text for e in text.edits] == ["Ada warna lain?"]
        assert typed["wamid.OLD8"] == NumberChange(
            new_number="16505559999", body="User changed number"
        )
        referral = got["wamid.OLD7"].came_from
        assert referral is not None and referral.source_kind == "ad"
        assert referral.click_id == "ARAkLkA8rmlFeiCktEJQ"
        conv = s.scalars(select(Conversation)).one()
        assert conv.last_referral["source_ref"] == "120226305854810726"
        outbound = s.scalars(select(Message).where(Message.direction == "out")).one()
        assert outbound.content["type"] == "reply_buttons"  # what was sent stays as sent

        html = {w: _render(m) for w, m in got.items()}
    cart = html["wamid.OLD0"]
    assert "2 × gamis-navy-l @ Rp185.000" in cart and "1 × hijab-abu @ Rp45.000" in cart
    assert "Rp415.000" in cart  # the total
    assert "invoice.pdf" in html["wamid.OLD1"] and "Invoice" in html["wamid.OLD1"]
    assert f"/inbox/media/{got['wamid.OLD1'].id}" in html["wamid.OLD1"]
    assert "Gedung Sate" in html["wamid.OLD2"] and "-6.9175, 107.6191" in html["wamid.OLD2"]
    assert "Budi Santoso" in html["wamid.OLD3"] and "+62 813-9876-5405" in html["wamid.OLD3"]
    assert "Sangat puas" in html["wamid.OLD4"] and "<small>5</small>" in html["wamid.OLD4"]
