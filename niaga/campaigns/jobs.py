"""Campaigns' background work on every new inbound message: opt-outs and opt-ins, and chats
started from a click-to-chat link."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from niaga.campaigns import links, optout, sender
from niaga.campaigns.models import MessagingLimit
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import is_transient, transaction
from niaga.core.jobs.registry import (
    DISPATCH,
    PROCESSING,
    JobContext,
    LoopSpec,
    PeriodicSpec,
    Registry,
)
from niaga.core.jobs.waker import Waker
from niaga.inbox.models import Message

log = logging.getLogger(__name__)


def reaction(settings: Settings) -> Callable[[Session, int], None]:
    """What the automation queue runs for campaigns on each new inbound message (before the
    rules, so a "STOP" is honoured before anything else answers)."""

    def campaigns(session: Session, message_id: int) -> None:
        optout.handle_message(session, message_id, settings)
        message = session.get(Message, message_id)
        if message is not None and message.direction == "in" and message.type == "text":
            links.do_record_start(session, message)

    return campaigns


class SendLoop:
    """The campaign sender (:func:`niaga.campaigns.sender.tick`) twice a second."""

    def __init__(self, ctx: JobContext, interval: float = 0.5) -> None:
        self._ctx = ctx
        self._interval = interval
        self._waker = Waker()
        self.paused = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._waker.clear()
            if not self.paused:
                try:
                    await asyncio.to_thread(sender.tick, self._ctx.factory, self._ctx.settings)
                except Exception as exc:
                    if is_transient(exc):
                        log.info("campaign round lost a race (%s); again", type(exc).__name__)
                    else:
                        log.exception("campaign round failed; trying again")
            await self._waker.wait(self._interval)

    def wake(self) -> None:
        self._waker.wake()


async def _read_limit(ctx: JobContext) -> None:
    """Meta's messaging limit of the business number, hourly (it moves with quality)."""
    number = ctx.settings.wa_phone_number_id
    tier, limit = await ctx.channel().messaging_limit(number)

    def store() -> None:
        with transaction(ctx.factory) as session:
            row = session.get(MessagingLimit, number) or MessagingLimit(phone_number_id=number)
            row.tier, row.limit, row.checked_at = tier or "unknown", limit, clock.now()
            session.merge(row)

    await asyncio.to_thread(store)


def register(registry: Registry) -> None:
    """The campaign sender (processing role) and the messaging limit, read hourly."""
    registry.add_loop(LoopSpec("campaigns.send", SendLoop, role=PROCESSING))
    registry.add_periodic(
        PeriodicSpec(
            "campaigns.messaging_limit", 3600.0, _read_limit, role=DISPATCH, retry_after=1.0
        )
    )
