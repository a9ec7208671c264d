"""Queue outgoing Graph API calls in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.jobs import signals
from niaga.outbox.models import OutboxMessage


def find_by_key(session: Session, key: str) -> OutboxMessage | None:
    """The outbox row with this idempotency key, if any."""
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    ).first()


def do_enqueue(
    session: Session,
    *,
    idempotency_key: str,
    phone_number_id: str,
    recipient: str | None,
    message: dict[str, Any],
    reply_to_wamid: str | None = None,
    message_id: int | None = None,
    kind: str = "message",
    key_checked: bool = False,
) -> OutboxMessage:
    """Add an outbox row (or return the existing one with the same key).

    ``message``: what to send in Niaga's terms (an ``OutgoingMessage`` dump for ``kind``
    "message", ``{"wamid": …}`` for "mark_read"); the channel renders it when it sends.

    ``key_checked``: the caller has just looked the key up (or knows it is new); should it
    exist after all, the unique index refuses the insert.
    """
    if not key_checked:
        existing = find_by_key(session, idempotency_key)
        if existing is not None:
            return existing
    row = OutboxMessage(
        idempotency_key=idempotency_key,
        kind=kind,
        phone_number_id=phone_number_id,
        recipient=recipient,
        message=message,
        reply_to_wamid=reply_to_wamid,
        message_id=message_id,
        state="pending",
        next_attempt_at=clock.now(),
    )
    session.add(row)
    session.flush()
    signals.notify_on_commit(session, signals.OUTBOX_QUEUED)
    return row


def do_enqueue_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add many new outbox rows in one statement (keys the caller knows are new; the unique
    index refuses any that is not). Each row: the keyword arguments of :func:`do_enqueue`."""
    if not rows:
        return
    now = clock.now()
    session.execute(
        insert(OutboxMessage),
        [
            {
                "kind": "message",
                "message_id": None,
                "reply_to_wamid": None,
                **row,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ],
    )
    signals.notify_on_commit(session, signals.OUTBOX_QUEUED)
