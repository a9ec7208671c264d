"""Conversation search on the real database: names, phone digits, message text, notes, edits.

Each search runs twice: through the trigram indexes (few matching messages) and by walking
the newest conversations (``MESSAGE_CAP = 0`` makes every match count as "many"); both must
give the same conversations.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.orm import Session

from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.inbox import search
from niaga.inbox.inbox_queries import InboxFilter, conversation_list
from niaga.inbox.models import Conversation, Message
from niaga.security.models import User
from niaga.security.users import do_create_user

PHONE_NUMBER_ID = "106540352242922"


def _chat(s: Session, phone: str, name: str, texts: list[tuple[str, str]], **conv: Any) -> int:
    """A contact with one conversation and messages ``(direction, text)``, oldest first."""
    contact = Contact(phone=phone, wa_id=phone[1:], profile_name=name)
    s.add(contact)
    s.flush()
    start = clock.now() - timedelta(days=1)
    conversation = Conversation(
        contact_id=contact.id,
        phone_number_id=PHONE_NUMBER_ID,
        last_message_at=start + timedelta(minutes=len(texts)),
        **conv,
    )
    s.add(conversation)
    s.flush()
    for i, (direction, body) in enumerate(texts):
        s.add(
            Message(
                conversation_id=conversation.id,
                contact_id=contact.id,
                direction=direction,
                wamid=None if direction == "note" else f"wamid.{phone}.{i}",
                type="note" if direction == "note" else "text",
                text=body,
                content={},
                status="note" if direction == "note" else "received",
                created_at=start + timedelta(minutes=i),
            )
        )
    s.flush()
    return conversation.id


@pytest.fixture
def shop(factory: Any) -> dict[str, int]:
    with factory() as s, s.begin():
        owner = do_create_user(
            s, email="owner@toko.test", name="Owner", password="rahasia-sekali-123", role="owner"
        )
        ids = {
            "owner": owner.id,
            "siti": _chat(
                s,
                "+6281234567890",
                "Siti Rahmawati",
                [("in", "Halo kak, gamis motif BUNGA masih ready?"), ("out", "Ready kak")],
            ),
            "budi": _chat(
                s,
                "+6285711112222",
                "Budi Santoso",
                [
                    ("in", "Kak, pesanan INV004711 sudah dikirim?"),
                    ("note", "komplain kurir rahasia"),
                ],
                assigned_user_id=owner.id,
            ),
            "ayu": _chat(
                s,
                "+6281399998888",
                "Ayu Lestari",
                [("in", "Ada diskon 50% kak?"), ("out", "ongkir_gratis untuk Bandung")],
                status="resolved",
            ),
        }
    return ids


def _found(factory: Any, q: str, **flt: Any) -> set[int]:
    with factory() as s:
        user = s.scalars(select(User)).one()
        rows = conversation_list(s, InboxFilter(q=q, status=flt.pop("status", None), **flt), user)
        return {r.conversation.id for r in rows}


@pytest.fixture(params=["index", "walk"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "walk":
        monkeypatch.setattr(search, "MESSAGE_CAP", 0)
    return request.param


def test_matches_names_phone_digits_and_message_text(
    factory: Any, shop: dict[str, int], way: str
) -> None:
    assert _found(factory, "rahma") == {shop["siti"]}
    assert _found(factory, "SANTOSO") == {shop["budi"]}
    assert _found(factory, "812-3456") == {shop["siti"]}  # the digits of the phone
    assert _found(factory, "motif bunga") == {shop["siti"]}  # case-insensitive substring
    assert _found(factory, "inv0047") == {shop["budi"]}
    assert _found(factory, "kak") == {shop["siti"], shop["budi"], shop["ayu"]}
    assert _found(factory, "tidak ada yang cocok") == set()


def test_notes_are_not_searched(factory: Any, shop: dict[str, int], way: str) -> None:
    assert _found(factory, "rahasia") == set()


def test_like_wildcards_are_literal(factory: Any, shop: dict[str, int], way: str) -> None:
    assert _found(factory, "50%") == {shop["ayu"]}
    assert _found(factory, "ongkir_gratis") == {shop["ayu"]}
    assert _found(factory, "ongkir%gratis") == set()
    assert _found(factory, "kon_5") == set()
    # Quotes and full-text operators are plain characters too.
    assert _found(factory, 'motif "bunga') == set()
    assert _found(factory, "bunga*") == set()
    assert _found(factory, "NEAR(kak ready)") == set()
    assert _found(factory, "kak OR xyz") == set()


def test_short_queries_and_filters(factory: Any, shop: dict[str, int], way: str) -> None:
    assert _found(factory, "50") == {shop["ayu"]}
    assert _found(factory, "kak", status="open") == {shop["siti"], shop["budi"]}
    assert _found(factory, "kak", status="open", view="mine") == {shop["budi"]}


def test_edits_renames_and_deletes_reach_the_index(
    factory: Any, shop: dict[str, int], way: str
) -> None:
    with factory() as s, s.begin():
        s.execute(
            update(Message)
            .where(Message.conversation_id == shop["siti"], Message.direction == "in")
            .values(text="Sudah transfer kak")
        )
        s.execute(
            update(Contact)
            .where(Contact.phone == "+6285711112222")
            .values(display_name="Pak Budi Grosir")
        )
        s.execute(delete(Message).where(Message.conversation_id == shop["ayu"]))
    assert _found(factory, "motif bunga") == set()
    assert _found(factory, "sudah transfer") == {shop["siti"]}
    assert _found(factory, "grosir") == {shop["budi"]}
    assert _found(factory, "50%") == set()


def test_the_search_indexes_exist_after_the_migrations(engine: Any) -> None:
    """A later migration that rebuilds messages or contacts must bring them back."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            triggers = set(
                conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            )
        assert {
            f"{t}_fts_{op}" for t in ("contacts", "messages") for op in ("ai", "ad", "au")
        } <= triggers
        assert {"contacts_fts", "messages_fts"} <= set(inspect(engine).get_table_names())
    else:
        found = inspect(engine)
        names = {i["name"] for t in ("contacts", "messages") for i in found.get_indexes(t)}
        assert {
            "ix_contacts_profile_name_trgm",
            "ix_contacts_display_name_trgm",
            "ix_contacts_phone_trgm",
            "ix_messages_text_trgm",
        } <= names
