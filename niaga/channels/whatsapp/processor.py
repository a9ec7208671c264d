"""Turn stored webhook bodies into contacts, messages and statuses (after the 200)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp import account
from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.channels.whatsapp.parse import parse_webhook
from niaga.channels.whatsapp.types import (
    AccountUpdate,
    ChangeError,
    InboundMessage,
    StatusUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownChange,
    UserPreference,
    WebhookItem,
)
from niaga.contacts import service as contacts
from niaga.core import clock
from niaga.inbox import service as inbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def handle_item(session: Session, item: WebhookItem) -> None:
    """Apply one parsed webhook item through the domain services."""
    match item:
        case InboundMessage():
            inbox.do_record_inbound(session, item)
        case StatusUpdate():
            inbox.do_record_status(session, item)
        case TemplateStatusUpdate():
            account.do_record_template_status(session, item)
        case TemplateQualityUpdate():
            account.do_record_template_quality(session, item)
        case UserPreference():
            contacts.do_set_marketing_preference(
                session,
                wa_id=item.wa_id,
                user_id=item.user_id,
                value=item.value,
                at=item.timestamp or clock.now(),
            )
        case ChangeError():
            account.do_record_account_event(
                session,
                field=f"{item.field}.errors",
                event=",".join(str(e.code) for e in item.errors),
                waba_id=item.waba_id,
                payload={
                    "errors": [
                        e.__dict__ if hasattr(e, "__dict__") else _err(e) for e in item.errors
                    ]
                },
                at=None,
            )
        case AccountUpdate():
            account.do_record_account_event(
                session,
                field=item.field,
                event=item.event,
                waba_id=item.waba_id,
                payload=item.payload,
                at=item.timestamp,
            )
        case UnknownChange():
            account.do_record_account_event(
                session,
                field=item.field or "unknown",
                event="unknown",
                waba_id=item.waba_id,
                payload={"value": item.value, "reason": item.reason},
                at=None,
            )


def _err(e: object) -> dict[str, object]:
    return {k: getattr(e, k, None) for k in ("code", "title", "message", "details", "href")}


def process_event(session: Session, event: WebhookEvent) -> None:
    """Parse and apply one stored webhook (the caller wraps it in a savepoint).

    Every step is idempotent, so a failed event is simply applied again later, whole.
    """
    for item in parse_webhook(event.body).items:
        handle_item(session, item)


def process_pending(factory: sessionmaker[Session], limit: int = 25) -> int:
    """Process up to ``limit`` stored webhooks in one transaction; returns how many."""
    now = clock.now()
    with factory() as session, session.begin():
        stmt = (
            select(WebhookEvent)
            .where(
                WebhookEvent.processed_at.is_(None),
                or_(WebhookEvent.retry_at.is_(None), WebhookEvent.retry_at <= now),
            )
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = session.scalars(stmt).all()
        for row in rows:
            try:
                with session.begin_nested():
                    process_event(session, row)
            except Exception as exc:
                _record_failure(session, row, exc)
            else:
                row.processed_at = now
                row.error = None
        return len(rows)


def _record_failure(session: Session, row: WebhookEvent, exc: Exception) -> None:
    log.exception("webhook event %s failed", row.id)
    row.attempts += 1
    row.error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.processed_at = clock.now()
        session.add(
            DeadLetter(
                source="webhook-processing",
                reason=row.error,
                body=row.body,
                webhook_event_id=row.id,
            )
        )
    else:
        row.retry_at = clock.now() + timedelta(seconds=5 * 2**row.attempts)


class WebhookProcessor:
    """Background loop: wakes on every stored batch, and polls for other processes' rows."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        poll_interval: float = 1.0,
        batch: int = 10,
        gap: float = 0.01,
    ) -> None:
        self._factory = factory
        self._poll = poll_interval
        self._batch = batch
        self._gap = gap
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Ask the loop to run now (safe from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Process until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            # Clear before processing: a wake-up during the round must not be lost.
            self._wake.clear()
            try:
                done = await asyncio.to_thread(process_pending, self._factory, self._batch)
            except Exception:
                log.exception("webhook processing failed; retrying")
                done = 0
            if done:
                # Leave a gap between batches: on SQLite the webhook writer (which must
                # answer Meta quickly) waits for the same write lock.
                await asyncio.sleep(self._gap)
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
