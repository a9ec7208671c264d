"""Named "work is waiting" nudges between the code that stores work and the loops that do it.

A signal carries no data: the work itself is in the database, and a loop also polls, so a lost
signal only delays. The web process forwards every signal to its worker child (see
:mod:`niaga.worker_process`); listeners must be thin and thread-safe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

WEBHOOKS_STORED = "inbox.webhooks_stored"
OUTBOX_QUEUED = "outbox.queued"
JOBS_SCHEDULED = "jobs.scheduled"
ALL = "*"

Listener = Callable[[str], None]
_listeners: dict[str, list[Listener]] = {}
_lock = threading.Lock()


def listen(name: str, listener: Listener) -> None:
    """Call ``listener(name)`` whenever ``name`` is signalled (``ALL``: every signal)."""
    with _lock:
        _listeners.setdefault(name, []).append(listener)


def unlisten(name: str, listener: Listener) -> None:
    """Remove a listener added with :func:`listen`."""
    with _lock:
        found = _listeners.get(name, [])
        if listener in found:
            found.remove(listener)


def notify(name: str) -> None:
    """Signal ``name`` now, from any thread (after the work's transaction committed)."""
    with _lock:
        targets = [*_listeners.get(name, ()), *_listeners.get(ALL, ())]
    for listener in targets:
        try:
            listener(name)
        except Exception:  # a listener never breaks the caller
            log.exception("signal listener %r failed on %s", listener, name)


def notify_on_commit(session: Any, name: str) -> None:
    """Signal ``name`` once ``session`` commits (dropped on rollback)."""
    from niaga.core.db import on_commit

    on_commit(session, lambda: notify(name))
