"""Turn stored webhook bodies into contacts, messages and statuses, a batch at a time.

A round claims up to a few hundred stored webhooks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so any number of workers share the table), parses each once and applies all their items
together (:func:`niaga.inbox.intake.apply_items`) inside a SAVEPOINT. If the batch fails, the
round falls back to one event per SAVEPOINT: the healthy events still commit in this round,
the poisoned one is retried with backoff and dead-lettered after :data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.channels.whatsapp.parse import WebhookPayloadError, parse_webhook
from niaga.channels.whatsapp.types import WebhookItem
from niaga.core import clock
from niaga.core.jobs.waker import Waker
from niaga.inbox.intake import apply_items

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH = 500


def _claim(session: Session, limit: int) -> list[Any]:
    t = WebhookEvent.__table__
    now = clock.now()
    stmt = (
        select(t.c.id, t.c.body, t.c.attempts)
        .where(t.c.processed_at.is_(None), or_(t.c.retry_at.is_(None), t.c.retry_at <= now))
        .order_by(t.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.execute(stmt).all())


def _mark_done(session: Session, ids: Sequence[int]) -> None:
    if not ids:
        return
    t = WebhookEvent.__table__
    session.execute(
        update(t)
        .where(t.c.id.in_(list(ids)))
        .values(processed_at=clock.now(), error=None, retry_at=None)
    )


def _record_failure(session: Session, row: Any, exc: BaseException) -> None:
    log.warning("webhook event %s failed: %s: %s", row.id, type(exc).__name__, exc)
    attempts = row.attempts + 1
    if isinstance(exc, WebhookPayloadError):
        attempts = max(attempts, MAX_ATTEMPTS)  # it will never parse: kept for inspection now
    error = f"{type(exc).__name__}: {exc}"[:2000]
    t = WebhookEvent.__table__
    values: dict[str, Any] = {"attempts": attempts, "error": error}
    if attempts >= MAX_ATTEMPTS:
        values["processed_at"] = clock.now()
        session.add(
            DeadLetter(
                source="webhook-processing", reason=error, body=row.body, webhook_event_id=row.id
            )
        )
    else:
        values["retry_at"] = clock.now() + timedelta(seconds=5 * 2**attempts)
    session.execute(update(t).where(t.c.id == row.id).values(**values))


def process_pending(factory: sessionmaker[Session], limit: int = BATCH) -> int:
    """Process up to ``limit`` stored webhooks in one transaction; returns how many."""
    with factory() as session, session.begin():
        rows = _claim(session, limit)
        if not rows:
            return 0
        parsed: list[tuple[Any, list[WebhookItem]]] = []
        for row in rows:
            try:
                parsed.append((row, list(parse_webhook(row.body).items)))
            except Exception as exc:
                _record_failure(session, row, exc)
        try:
            with session.begin_nested():
                apply_items(session, [item for _, items in parsed for item in items])
        except Exception:
            log.warning("a batch of %d webhooks failed; applying them one by one", len(parsed))
            done = []
            for row, items in parsed:
                try:
                    with session.begin_nested():
                        apply_items(session, items)
                except Exception as exc:
                    _record_failure(session, row, exc)
                else:
                    done.append(row.id)
            _mark_done(session, done)
        else:
            _mark_done(session, [row.id for row, _ in parsed])
        return len(rows)


class WebhookProcessor:
    """Background loop: wakes on every stored batch, and polls for other processes' rows."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        poll_interval: float = 1.0,
        batch: int = BATCH,
    ) -> None:
        self._factory = factory
        self._poll = poll_interval
        self._batch = batch
        self._waker = Waker()

    def wake(self) -> None:
        """Ask the loop to run now (safe from any thread)."""
        self._waker.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Process until ``stop`` is set."""
        while not stop.is_set():
            # Clear before processing: a wake-up during the round must not be lost.
            self._waker.clear()
            try:
                done = await asyncio.to_thread(process_pending, self._factory, self._batch)
            except Exception:
                log.exception("webhook processing failed; retrying")
                done = 0
                await asyncio.sleep(0.5)
            if done:
                await asyncio.sleep(0)  # let others on this loop run between rounds
                continue
            await self._waker.wait(self._poll)
