"""Named "work is waiting" nudges between the code that stores work and the loops that do it.

A signal carries no data: the work itself is in the database, and a loop also polls, so a lost
signal only delays. Listeners must be thin and thread-safe. *Forwarders* carry a process's own
signals to other processes: the web process to its worker child through the pipe
(:mod:`niaga.worker_process`), every process to every other through PostgreSQL's
LISTEN/NOTIFY (:mod:`niaga.core.jobs.pg_signals`). A signal that arrived from elsewhere is
delivered here but never forwarded again, so nothing echoes.
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
_forwarders: list[Listener] = []
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


def forward(forwarder: Listener) -> None:
    """Call ``forwarder(name)`` for every signal raised in this process (not received)."""
    with _lock:
        _forwarders.append(forwarder)


def unforward(forwarder: Listener) -> None:
    """Remove a forwarder added with :func:`forward`."""
    with _lock:
        if forwarder in _forwarders:
            _forwarders.remove(forwarder)


def notify(name: str, *, received: bool = False) -> None:
    """Signal ``name`` now, from any thread (after the work's transaction committed).

    ``received``: it came from another process, so it is not forwarded again.
    """
    with _lock:
        targets = [*_listeners.get(name, ()), *_listeners.get(ALL, ())]
        if not received:
            targets += _forwarders
    for listener in targets:
        try:
            listener(name)
        except Exception:  # a listener never breaks the caller
            log.exception("signal listener %r failed on %s", listener, name)


def notify_on_commit(session: Any, name: str) -> None:
    """Signal ``name`` once ``session`` commits (dropped on rollback)."""
    from niaga.core.db import on_commit

    on_commit(session, lambda: notify(name))
