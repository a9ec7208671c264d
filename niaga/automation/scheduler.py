"""Automation's background loop in the worker: catch-up of missed messages (at start, then
every minute), "no reply after X" timers, and the business profile sync to WhatsApp."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import profile, service
from niaga.core.db import transaction

log = logging.getLogger(__name__)


class AutomationScheduler:
    """Runs until stopped; ``tick`` seconds between rounds (woken early by a profile change)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        channel_factory: Callable[[], Any],
        phone_number_id: str,
        *,
        tick: float = 5.0,
        catch_up_every: float = 60.0,
        sync_retry_every: float = 60.0,
    ) -> None:
        self.factory = factory
        self.channel_factory = channel_factory
        self.phone_number_id = phone_number_id
        self.tick = tick
        self.catch_up_every = catch_up_every
        self.sync_retry_every = sync_retry_every
        # Set to skip rounds (maintenance; tests that drive these services themselves).
        self.paused = False
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._channel: Any = None

    def wake(self) -> None:
        """Run a round now (safe from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def _timers(self) -> int:
        with transaction(self.factory) as session:
            return service.due_timers(session)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        profile._wakers.append(self.wake)
        from niaga.automation.matching import warm_up

        await asyncio.to_thread(warm_up)
        last_catch_up = last_sync_try = 0.0
        try:
            while not stop.is_set():
                now = time.monotonic()
                if self.paused:
                    await asyncio.sleep(self.tick)
                    continue
                try:
                    if now - last_catch_up >= self.catch_up_every:
                        last_catch_up = now
                        await asyncio.to_thread(service.catch_up, self.factory)
                    await asyncio.to_thread(self._timers)
                    if self._wake.is_set() or now - last_sync_try >= self.sync_retry_every:
                        last_sync_try = now
                        if self._channel is None:
                            self._channel = self.channel_factory()
                        await profile.sync_profile(
                            self.factory, self._channel, self.phone_number_id
                        )
                except Exception:
                    log.exception("automation round failed; trying again")
                self._wake.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.tick)
        finally:
            if self.wake in profile._wakers:
                profile._wakers.remove(self.wake)
            if self._channel is not None:
                await self._channel.close()
