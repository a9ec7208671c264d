"""Turn stored webhook bodies into contacts, messages and statuses, a batch at a time.

(With the stored webhooks in a database of their own, SQLite's default, the batch is applied
in the main database and then marked done in theirs: see ``channels/whatsapp/intake_db``.)

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


def _failure(row: Any, exc: BaseException) -> tuple[dict[str, Any], DeadLetter | None]:
    """The event's new attempt count and error; a dead letter once it is given up on."""
    log.warning("webhook event %s failed: %s: %s", row.id, type(exc).__name__, exc)
    attempts = row.attempts + 1
    if isinstance(exc, WebhookPayloadError):
        attempts = max(attempts, MAX_ATTEMPTS)  # it will never parse: kept for inspection now
    error = f"{type(exc).__name__}: {exc}"[:2000]
    values: dict[str, Any] = {"attempts": attempts, "error": error}
    if attempts < MAX_ATTEMPTS:
        values["retry_at"] = clock.now() + timedelta(seconds=5 * 2**attempts)
        return values, None
    values["processed_at"] = clock.now()
    dead = DeadLetter(
        source="webhook-processing", reason=error, body=row.body, webhook_event_id=row.id
    )
    return values, dead


def _record(session: Session, done: Sequence[int], failures: list[tuple[Any, dict]]) -> None:
    """Mark the applied webhooks done and the failed ones with their attempt and error."""
    _mark_done(session, done)
    t = WebhookEvent.__table__
    for row, values in failures:
        session.execute(update(t).where(t.c.id == row.id).values(**values))


def _apply_batch(session: Session, rows: list[Any]) -> tuple[list[int], list[tuple[Any, dict]]]:
    """Parse and apply the rows (one SAVEPOINT; on failure one per event), a dead letter for
    each given up on: (done ids, failures with their new values)."""
    parsed: list[tuple[Any, list[WebhookItem]]] = []
    failed: list[tuple[Any, BaseException]] = []
    for row in rows:
        try:
            parsed.append((row, list(parse_webhook(row.body).items)))
        except Exception as exc:
            failed.append((row, exc))
    done: list[int] = []
    try:
        with session.begin_nested():
            apply_items(session, [item for _, items in parsed for item in items])
        done = [row.id for row, _ in parsed]
    except Exception:
        log.warning("a batch of %d webhooks failed; applying them one by one", len(parsed))
        for row, items in parsed:
            try:
                with session.begin_nested():
                    apply_items(session, items)
            except Exception as exc:
                failed.append((row, exc))
            else:
                done.append(row.id)
    failures = []
    for row, exc in failed:
        values, dead = _failure(row, exc)
        if dead is not None:
            session.add(dead)
        failures.append((row, values))
    return done, failures


def process_pending(
    factory: sessionmaker[Session],
    limit: int = BATCH,
    intake: sessionmaker[Session] | None = None,
) -> int:
    """Process up to ``limit`` stored webhooks; returns how many.

    With the webhooks in the main database (``intake`` None) one transaction claims, applies
    and marks them. With an intake database of their own, the batch is applied in the main
    database, then marked done in the intake one (see :mod:`niaga.channels.whatsapp.intake_db`).
    """
    if intake is None:
        with factory() as session, session.begin():
            rows = _claim(session, limit)
            if rows:
                _record(session, *_apply_batch(session, rows))
            return len(rows)
    with intake() as reader:  # a WAL reader: takes no lock
        rows = _claim(reader, limit)
    if not rows:
        return 0
    with factory() as session, session.begin():
        done, failures = _apply_batch(session, rows)
    with intake() as session, session.begin():  # the main database has committed: now the mark
        _record(session, done, failures)
    return len(rows)


class WebhookProcessor:
    """Background loop: wakes on every stored batch, and polls for other processes' rows."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        poll_interval: float = 1.0,
        batch: int = BATCH,
        intake: sessionmaker[Session] | None = None,
    ) -> None:
        self._factory = factory
        self._intake = intake
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
                done = await asyncio.to_thread(
                    process_pending, self._factory, self._batch, self._intake
                )
            except Exception:
                log.exception("webhook processing failed; retrying")
                done = 0
                await asyncio.sleep(0.5)
            if done:
                await asyncio.sleep(0)  # let others on this loop run between rounds
                continue
            await self._waker.wait(self._poll)
