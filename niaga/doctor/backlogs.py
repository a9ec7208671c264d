"""What waits to be done, read from the database: webhooks not yet processed, sends not yet
made, jobs due, and sends held for a person. ``/metrics`` exports it; ``niaga doctor`` judges it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.core import clock
from niaga.core.jobs.models import ScheduledJob
from niaga.outbox.models import OutboxMessage


@dataclass(frozen=True)
class Queue:
    """How many wait, and how long the oldest has waited (0 when none waits)."""

    count: int
    age_seconds: float


@dataclass(frozen=True)
class Backlogs:
    """Each queue (``webhooks``, ``outbox``, ``jobs``) and the sends failed or in doubt."""

    queues: dict[str, Queue]
    held: int


def _queue(count: Any, oldest: Any, now: datetime) -> Queue:
    age = 0.0 if oldest is None else max(0.0, (now - clock.as_utc(oldest)).total_seconds())
    return Queue(int(count or 0), age)


def read(factory: sessionmaker[Session], intake: sessionmaker[Session]) -> Backlogs:
    """The backlogs now (the webhooks from ``intake``, which may be their own database)."""
    now = clock.now()
    with intake() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(WebhookEvent.received_at)).where(
                WebhookEvent.processed_at.is_(None)
            )
        ).one()
    queues = {"webhooks": _queue(count, oldest, now)}
    with factory() as session:
        count, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.state == "pending"
            )
        ).one()
        queues["outbox"] = _queue(count, oldest, now)
        count, oldest = session.execute(
            select(func.count(), func.min(ScheduledJob.run_at)).where(
                ScheduledJob.status == "pending", ScheduledJob.run_at <= now
            )
        ).one()
        queues["jobs"] = _queue(count, oldest, now)
        held = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.state.in_(("failed", "in_doubt")))
        )
    return Backlogs(queues, int(held or 0))
