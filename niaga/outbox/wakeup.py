"""Wake in-process dispatchers as soon as new outbox rows commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

_wakers: list[Callable[[], None]] = []


def register(waker: Callable[[], None]) -> None:
    """Add a callback that wakes one dispatcher (thread-safe callbacks only)."""
    _wakers.append(waker)


def unregister(waker: Callable[[], None]) -> None:
    """Remove a callback added with :func:`register`."""
    if waker in _wakers:
        _wakers.remove(waker)


def wake_dispatchers() -> None:
    """Called after commit, from any thread."""
    for waker in list(_wakers):
        waker()


def threadsafe_event_setter(
    loop: asyncio.AbstractEventLoop, event: asyncio.Event
) -> Callable[[], None]:
    """A waker that sets ``event`` on ``loop`` from any thread."""

    def _wake() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    return _wake
