"""Set-based webhook processing: batches of stored webhooks applied with a few statements.

These tests use a database of their own (no live server processing the same rows) and drive
:func:`niaga.inbox.processing.process_pending` directly on real SQLite or PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.contacts.models import Contact
from niaga.core import clock, events
from niaga.inbox import processing
from niaga.inbox.models import Conversation, Message, MessageStatusEvent
from niaga.outbox.models import OutboxMessage
from tests.factories import PHONE_NUMBER_ID, envelope, messages_value, status, text_message
from tests.heard import heard
from tests.intake import drain, store
from tests.statements import Statements


@pytest.fixture
def db(own_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    return own_factory


@pytest.fixture
def own_engine(module_engine: Any) -> Any:
    return module_engine


def many_messages(n: int, customers: int, ts: int = 1764300000) -> dict[str, Any]:
    """One webhook with ``n`` text messages from ``customers`` different numbers."""
    msgs, contacts = [], {}
    for i in range(n):
        wa_id = f"62812{i % customers:08d}"
        contacts[wa_id] = {"profile": {"name": f"Pelanggan {i % customers}"}, "wa_id": wa_id}
        msgs.append(
            {
                "from": wa_id,
                "id": f"wamid.MANY{i:06d}",
                "timestamp": str(ts + i),
                "type": "text",
                "text": {"body": f"pesan {i}"},
            }
        )
    return envelope(messages_value(messages=msgs, contacts=list(contacts.values())))


def test_a_batch_stores_each_message_once_and_refreshes_its_threads(
    db: sessionmaker[Session],
) -> None:
    with heard(events.MESSAGE_RECEIVED) as received:
        with db() as s, s.begin():  # known by number only (added by hand), and a resolved chat
            known = Contact(phone="+6281234500002")
            old = Contact(phone="+6281234500003", wa_id="6281234500003")
            s.add_all([known, old])
            s.flush()
            s.add(
                Conversation(contact_id=old.id, phone_number_id=PHONE_NUMBER_ID, status="resolved")
            )
        store(
            db,
            # The newest message of 500001 arrives first: the preview still shows it.
            text_message("wamid.B2", "6281234500001", "kedua", ts=1764300020),
            text_message("wamid.B1", "6281234500001", "pertama", ts=1764300010),
            text_message("wamid.B3", "6281234500002", "halo", ts=1764300030, name="Budi"),
            text_message("wamid.B4", "6281234500003", "lagi", ts=1764300040),
            text_message("wamid.B1", "6281234500001", "pertama", ts=1764300010),  # Meta again
        )
        assert drain(db) == 5
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 4
        assert s.scalar(select(func.count()).select_from(Contact)) == 3
        budi = s.scalars(select(Contact).where(Contact.phone == "+6281234500002")).one()
        assert budi.wa_id == "6281234500002" and budi.profile_name == "Budi"
        siti = s.scalars(select(Contact).where(Contact.wa_id == "6281234500001")).one()
        conv = s.scalars(select(Conversation).where(Conversation.contact_id == siti.id)).one()
        assert conv.unread_count == 2 and conv.last_message_preview == "kedua"
        assert clock.as_utc(conv.last_inbound_at).timestamp() == 1764300020
        assert conv.waiting_since is not None
        reopened = s.scalars(
            select(Conversation).join(Contact).where(Contact.wa_id == "6281234500003")
        ).one()
        assert reopened.status == "open" and reopened.unread_count == 1
        pending = s.scalar(select(func.count()).where(WebhookEvent.processed_at.is_(None)))
        assert pending == 0
    assert sorted(e.data["message_id"] for e in received) == sorted(
        {e.data["message_id"] for e in received}
    )
    assert len(received) == 4


def test_hundreds_of_messages_take_a_handful_of_statements(
    db: sessionmaker[Session], own_engine: Any
) -> None:
    store(db, many_messages(400, customers=150))
    with Statements(own_engine) as counted:
        assert processing.process_pending(db) == 1
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 400
        assert s.scalar(select(func.count()).select_from(Conversation)) == 150
    # Claim, lookups, inserts and one flush of updates: not one round trip per message.
    assert counted.count < 40, counted.count


def _outbound(factory: sessionmaker[Session], n: int, prefix: str = "wamid.OUT") -> list[int]:
    with factory() as s, s.begin():
        contact = Contact(phone="+6281299990000", wa_id="6281299990000")
        conv = Conversation(contact=contact, phone_number_id=PHONE_NUMBER_ID)
        s.add_all([contact, conv])
        s.flush()
        rows = [
            Message(
                conversation_id=conv.id,
                contact_id=contact.id,
                direction="out",
                wamid=f"{prefix}{i:05d}",
                type="text",
                text="Siap kak",
                status="pending",
                origin="agent",
            )
            for i in range(n)
        ]
        s.add_all(rows)
        s.flush()
        return [m.id for m in rows]


def test_statuses_move_only_forward_whatever_the_order_and_repeats(
    db: sessionmaker[Session],
) -> None:
    _outbound(db, 3)
    failure = [{"code": 131026, "title": "Message undeliverable"}]
    pricing = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
    bodies = [
        status("wamid.OUT00000", "read", ts=1764300300),
        status("wamid.OUT00000", "sent", ts=1764300100, pricing=pricing),
        status("wamid.OUT00000", "delivered", ts=1764300200),
        status("wamid.OUT00000", "read", ts=1764300300),
        status("wamid.OUT00001", "failed", ts=1764300200, errors=failure),
        status("wamid.OUT00001", "read", ts=1764300300),  # failed is terminal
        status("wamid.OUT00002", "sent", ts=1764300100),
    ]
    random.Random(7).shuffle(bodies)
    store(db, *bodies[:4])
    drain(db)
    store(db, *bodies[4:])
    drain(db)
    with db() as s:
        read, failed, sent = (
            s.scalars(select(Message).where(Message.wamid == f"wamid.OUT0000{i}")).one()
            for i in range(3)
        )
        assert read.status == "read" and read.pricing and read.pricing["category"] == "utility"
        assert clock.as_utc(read.status_at).timestamp() == 1764300300
        assert failed.status == "failed" and failed.error_code == 131026
        assert failed.error_title == "Message undeliverable"
        assert sent.status == "sent"
        assert s.scalar(select(func.count()).select_from(MessageStatusEvent)) == 6


def test_a_status_before_the_wamid_is_known_finds_its_message_by_callback_data(
    db: sessionmaker[Session],
) -> None:
    with db() as s, s.begin():
        contact = Contact(phone="+6281299990001", wa_id="6281299990001")
        conv = Conversation(contact=contact, phone_number_id=PHONE_NUMBER_ID)
        s.add_all([contact, conv])
        s.flush()
        msg = Message(
            conversation_id=conv.id,
            contact_id=contact.id,
            direction="out",
            type="text",
            status="pending",
            origin="agent",
        )
        s.add(msg)
        s.flush()
        s.add(
            OutboxMessage(
                idempotency_key="key-early",
                phone_number_id=PHONE_NUMBER_ID,
                recipient="6281299990001",
                message={},
                message_id=msg.id,
            )
        )
    store(db, status("wamid.EARLY", "delivered", callback="key-early"))
    drain(db)
    with db() as s:
        found = s.scalars(select(Message).where(Message.wamid == "wamid.EARLY")).one()
        assert found.status == "delivered"


def test_a_thousand_statuses_in_one_webhook_take_a_handful_of_statements(
    db: sessionmaker[Session], own_engine: Any
) -> None:
    _outbound(db, 1000)
    statuses = [
        {
            "id": f"wamid.OUT{i:05d}",
            "status": "delivered",
            "timestamp": "1764300200",
            "recipient_id": "6281299990000",
        }
        for i in range(1000)
    ]
    store(db, envelope(messages_value(statuses=statuses)))
    with Statements(own_engine) as counted:
        assert processing.process_pending(db) == 1
    with db() as s:
        assert (
            s.scalar(select(func.count()).where(Message.status == "delivered").select_from(Message))
            == 1000
        )
    assert counted.count < 20, counted.count


def test_a_poisoned_event_is_isolated_retried_and_dead_lettered(
    db: sessionmaker[Session],
) -> None:
    with db() as s, s.begin():  # this number belongs to another WhatsApp account already
        s.add(Contact(phone="+6281234500009", wa_id="6281234599999"))
    store(
        db,
        text_message("wamid.OK1", "6281234500001", "halo"),
        text_message("wamid.POISON", "6281234500009", "bentrok"),
        b"{not json",
        text_message("wamid.OK2", "6281234500002", "halo juga"),
    )
    assert processing.process_pending(db) == 4
    with db() as s:
        wamids = set(s.scalars(select(Message.wamid)))
        assert wamids == {"wamid.OK1", "wamid.OK2"}
        failing = s.scalars(select(WebhookEvent).where(WebhookEvent.processed_at.is_(None))).all()
        assert len(failing) == 1 and all(e.attempts == 1 and e.retry_at for e in failing)
        # A body that can never parse is not retried: it is a dead letter at once.
        dead = s.scalars(select(DeadLetter)).all()
        assert len(dead) == 1 and "not valid JSON" in dead[0].reason
    # A healthy webhook is not held up while the poisoned ones wait for their retry.
    store(db, text_message("wamid.OK3", "6281234500001", "lagi"))
    assert processing.process_pending(db) == 1
    for _ in range(processing.MAX_ATTEMPTS - 1):
        with db() as s, s.begin():
            s.execute(
                update(WebhookEvent)
                .where(WebhookEvent.processed_at.is_(None))
                .values(retry_at=clock.now() - timedelta(seconds=1))
            )
        processing.process_pending(db)
    with db() as s:
        dead = s.scalars(select(DeadLetter)).all()
        assert len(dead) == 2 and {d.source for d in dead} == {"webhook-processing"}
        assert any("RuntimeError" in d.reason or "IntegrityError" in d.reason for d in dead)
        pending = s.scalar(select(func.count()).where(WebhookEvent.processed_at.is_(None)))
        assert pending == 0
        assert s.execute(text("SELECT count(*) FROM messages")).scalar() == 3
