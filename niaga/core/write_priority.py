"""On SQLite, the webhook's intake writes before background work does.

SQLite has one writer at a time, and a writer that finds the lock taken sleeps in growing steps
(up to 100 ms) before it tries again. ``niaga serve``'s worker child starts its next write the
moment the last one ended, so under load the web process's intake kept missing the lock: the
webhook's answers took seconds. :class:`WritePriority` is a counter shared by the two processes:
the intake raises it while it waits for and holds the write lock, and the child, before it
begins a write transaction, waits while it is raised (at most ``MAX_WAIT``, so background work
never starves). PostgreSQL has row locks and needs none of this.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAX_WAIT = 2.0  # seconds the worker gives way at the most before it writes anyway
POLL = 0.0005


class WritePriority:
    """A cross-process count of intake writers that want or hold the SQLite write lock."""

    def __init__(self, value: Any, max_wait: float = MAX_WAIT) -> None:
        self.value = value  # a multiprocessing.Value("i"), shared with the worker child
        self.max_wait = max_wait

    @contextmanager
    def intake(self) -> Iterator[None]:
        """Around the intake's write transaction (the web process)."""
        with self.value.get_lock():
            self.value.value += 1
        try:
            yield
        finally:
            with self.value.get_lock():
                self.value.value -= 1

    def give_way(self) -> None:
        """Before a background write transaction (the worker child): let the intake go first."""
        deadline = time.monotonic() + self.max_wait
        while self.value.value > 0 and time.monotonic() < deadline:
            time.sleep(POLL)
