"""Queue outgoing Graph API calls in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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
    body: dict[str, Any],
    message_id: int | None = None,
    kind: str = "message",
) -> OutboxMessage:
    """Add an outbox row (or return the existing one with the same key)."""
    existing = find_by_key(session, idempotency_key)
    if existing is not None:
        return existing
    row = OutboxMessage(
        idempotency_key=idempotency_key,
        kind=kind,
        phone_number_id=phone_number_id,
        recipient=recipient,
        body=body,
        message_id=message_id,
        state="pending",
        next_attempt_at=clock.now(),
    )
    session.add(row)
    session.flush()
    signals.notify_on_commit(session, signals.OUTBOX_QUEUED)
    return row
