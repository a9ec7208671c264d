"""The outbox's background work: the dispatcher loop, registered in the jobs layer."""

from __future__ import annotations

import asyncio

from niaga.core.jobs import signals
from niaga.core.jobs.registry import DISPATCH, JobContext, LoopSpec, Registry
from niaga.outbox.dispatcher import Dispatcher
from niaga.outbox.ratelimit import RateLimiter, make_limiter
from niaga.outbox.reports import MessageStates


class DispatchLoop:
    """The dispatcher with its rate limiter (closed when the loop ends)."""

    def __init__(self, ctx: JobContext, states: MessageStates) -> None:
        settings = ctx.settings
        self.limiter: RateLimiter = make_limiter(
            settings.wa_messages_per_second, settings.redis_url
        )
        self.dispatcher = Dispatcher(ctx.factory, ctx.channel(), self.limiter, settings, states)

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set."""
        await self.dispatcher.run(stop)

    def wake(self) -> None:
        """New outbox rows committed."""
        self.dispatcher.wake()

    async def aclose(self) -> None:
        """Close the rate limiter's connection."""
        await self.limiter.close()


def register(registry: Registry, states: MessageStates) -> None:
    """The dispatcher, woken when outbox rows commit in this process (or the web process);
    ``states`` (the inbox) applies what it reports to the messages."""
    registry.add_loop(
        LoopSpec(
            "outbox.dispatch",
            lambda ctx: DispatchLoop(ctx, states),
            role=DISPATCH,
            wake_on=(signals.OUTBOX_QUEUED,),
        )
    )
