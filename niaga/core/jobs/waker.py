"""Wake an asyncio loop from any thread: the one helper every background loop uses."""

from __future__ import annotations

import asyncio
import threading
from contextlib import suppress


class Waker:
    """A wake-up flag a loop waits on; :meth:`wake` is safe from any thread, before or after
    the loop starts waiting (a wake-up is never lost, several coalesce into one)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._pending = False

    def wake(self) -> None:
        """Ask the waiting loop to run now."""
        with self._lock:
            loop, event = self._loop, self._event
            if loop is None or event is None:
                self._pending = True
                return
        if loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            with suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    def _bind(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is not loop or self._event is None:
                self._loop, self._event = loop, asyncio.Event()
            if self._pending:
                self._pending = False
                self._event.set()
            return self._event

    def clear(self) -> None:
        """Forget wake-ups so far (call before a round: one during the round is kept)."""
        self._bind().clear()

    async def wait(self, timeout: float | None) -> bool:
        """Wait until woken or ``timeout`` seconds pass; True when woken."""
        event = self._bind()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def is_set(self) -> bool:
        """Whether a wake-up waits."""
        return self._pending or (self._event is not None and self._event.is_set())
