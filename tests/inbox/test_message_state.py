"""One owner of a sent message's state: Meta's status webhooks and the outbox's send reports
reach the message through :mod:`niaga.inbox.statuses` only, and in either order leave one state.

Real database (SQLite or PostgreSQL), the real outbox store and the real webhook processing;
only the Graph API call itself is replaced by the result it would give.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.inbox.models import Conversation, Message
from niaga.inbox.statuses import MESSAGE_STATES
from niaga.outbox import store as outbox_store
from niaga.outbox.models import OutboxMessage
from niaga.outbox.store import Result
from tests.factories import PHONE_NUMBER_ID, status
from tests.intake import drain, store

NIAGA = Path(__file__).resolve().parents[2] / "niaga"
WAMID = "wamid.HBgLNjI4MTI5OTk5MDAwMRUCABEYEjQ0"
UNDELIVERABLE = [{"code": 131026, "title": "Message undeliverable"}]


@pytest.fixture
def db(own_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    return own_factory


@pytest.fixture
def own_engine(module_engine: Any) -> Any:
    return module_engine


def queued(db: sessionmaker[Session], key: str = "key-1") -> int:
    """A pending outbound message with its outbox row, claimed by a dispatcher."""
    with db() as s, s.begin():
        contact = Contact(phone="+6281299990001", wa_id="6281299990001")
        conv = Conversation(
            contact=contact, phone_number_id=PHONE_NUMBER_ID, last_inbound_at=clock.now()
        )
        s.add_all([contact, conv])
        s.flush()
        message = Message(
            conversation_id=conv.id,
            contact_id=contact.id,
            direction="out",
            type="text",
            text="Pesanan Anda sudah dikirim",
            status="pending",
            origin="agent",
        )
        s.add(message)
        s.flush()
        s.add(
            OutboxMessage(
                idempotency_key=key,
                phone_number_id=PHONE_NUMBER_ID,
                recipient="6281299990001",
                message={"type": "text", "body": "Pesanan Anda sudah dikirim"},
                message_id=message.id,
                state="pending",
                next_attempt_at=clock.now(),
            )
        )
        message_id = message.id
    (claimed,) = outbox_store.claim(db, "w1", 10, lease=60)
    assert claimed.key == key
    return message_id


def record(db: sessionmaker[Session], result: Result) -> None:
    outbox_store.record(
        db, [result], states=MESSAGE_STATES, max_attempts=1, backoff_base=0.1, backoff_max=1
    )


def outbox_row(db: sessionmaker[Session]) -> tuple[int, str, str | None]:
    with db() as s:
        row = s.scalars(select(OutboxMessage)).one()
        return row.id, row.state, row.wamid


def sent(db: sessionmaker[Session]) -> None:
    record(db, Result(outbox_row(db)[0], "sent", wamid=WAMID))


def refused(db: sessionmaker[Session]) -> None:
    record(
        db,
        Result(outbox_row(db)[0], "failed", error_code=131026, error_title="Message undeliverable"),
    )


def state(db: sessionmaker[Session], message_id: int) -> tuple[Any, ...]:
    with db() as s:
        m = s.get_one(Message, message_id)
        return m.wamid, m.status, m.error_code


@pytest.mark.parametrize("callback", ["key-1", None], ids=["echoed-key", "no-key"])
def test_delivered_webhook_then_send_report(db: sessionmaker[Session], callback: Any) -> None:
    """Meta's webhook is faster than the dispatcher's write: with the outbox key echoed the
    message is found at once; without it the status waits and is replayed by the report."""
    message_id = queued(db)
    store(db, status(WAMID, "delivered", callback=callback))
    drain(db)
    sent(db)
    assert state(db, message_id) == (WAMID, "delivered", None)


def test_send_report_then_delivered_webhook(db: sessionmaker[Session]) -> None:
    message_id = queued(db)
    sent(db)
    assert state(db, message_id) == (WAMID, "sent", None)
    store(db, status(WAMID, "delivered"))
    drain(db)
    assert state(db, message_id) == (WAMID, "delivered", None)


def test_failed_webhook_then_send_report(db: sessionmaker[Session]) -> None:
    """Meta accepted the send, then could not deliver it: failed stays failed."""
    message_id = queued(db)
    store(db, status(WAMID, "failed", errors=UNDELIVERABLE))
    drain(db)
    sent(db)
    assert state(db, message_id) == (WAMID, "failed", 131026)


def test_send_report_then_failed_webhook(db: sessionmaker[Session]) -> None:
    message_id = queued(db)
    sent(db)
    store(db, status(WAMID, "failed", errors=UNDELIVERABLE))
    drain(db)
    assert state(db, message_id) == (WAMID, "failed", 131026)


def test_a_refused_send_fails_the_message_with_metas_code(db: sessionmaker[Session]) -> None:
    message_id = queued(db)
    refused(db)
    assert state(db, message_id) == (None, "failed", 131026)
    assert outbox_row(db)[1] == "failed"


def test_a_send_given_up_does_not_fail_a_delivered_message(db: sessionmaker[Session]) -> None:
    """An earlier attempt reached the customer (Meta says delivered, key echoed); the retry
    that Meta then refuses does not turn the message red."""
    message_id = queued(db)
    store(db, status(WAMID, "delivered", callback="key-1"))
    drain(db)
    refused(db)
    assert state(db, message_id) == (WAMID, "delivered", None)


def test_an_in_doubt_send_leaves_the_message_pending_until_meta_confirms_it(
    db: sessionmaker[Session],
) -> None:
    message_id = queued(db)
    record(db, Result(outbox_row(db)[0], "in_doubt", error_title="read timeout"))
    assert state(db, message_id) == (None, "pending", None)
    store(db, status(WAMID, "sent", callback="key-1"))
    drain(db)
    counts = outbox_store.recover(db, grace=3600, states=MESSAGE_STATES)
    assert counts["confirmed"] == 1
    assert state(db, message_id) == (WAMID, "sent", None)
    assert outbox_row(db)[1:] == ("sent", WAMID)


def _writes_message_state(tree: ast.AST) -> bool:
    """Whether a module assigns a message's ``status_at`` (attribute or UPDATE values)."""
    for node in ast.walk(tree):
        stored = isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        if (stored and node.attr == "status_at") or (
            isinstance(node, ast.keyword) and node.arg == "status_at"
        ):
            return True
    return False


def test_only_the_inbox_statuses_module_writes_a_messages_status() -> None:
    writers = {
        str(path.relative_to(NIAGA))
        for path in NIAGA.rglob("*.py")
        if _writes_message_state(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert writers == {"inbox/statuses.py"}
