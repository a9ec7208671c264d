"""Listen to the in-process event bus from a test, hearing only the test's own thread.

The bus is process-wide: a server or worker another test left running (a session-scoped live
server, its periodic template sync) publishes on it too. A test that drains its own database
in its own thread hears only what that thread published.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from niaga.core import events


@contextmanager
def heard(name: str) -> Iterator[list[events.Event]]:
    """Collect events called ``name`` published by this thread while the block runs."""
    me = threading.get_ident()
    seen: list[events.Event] = []

    def listen(event: events.Event) -> None:
        if threading.get_ident() == me:
            seen.append(event)

    events.subscribe(name, listen)
    try:
        yield seen
    finally:
        events.unsubscribe(name, listen)
