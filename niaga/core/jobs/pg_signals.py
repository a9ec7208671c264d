"""Signals between processes on any machines, through PostgreSQL's LISTEN/NOTIFY.

With PostgreSQL every Niaga process (``niaga serve``, its worker child, each ``niaga worker``)
runs one bridge: its own signals are sent as ``NOTIFY niaga_signals`` (bursts coalesce into one
notification per name), and notifications from the other processes are delivered here as
received signals. So a webhook stored by any web process wakes the workers at once instead of
at their next poll. If the connection breaks, the bridge reconnects; meanwhile the loops poll.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from contextlib import suppress

from niaga.core.jobs import signals

log = logging.getLogger(__name__)

CHANNEL = "niaga_signals"


def _dsn(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url.removeprefix(prefix)
    return url


class PgSignalBridge:
    """LISTEN for other processes' signals, NOTIFY them of this process's."""

    def __init__(self, url: str) -> None:
        self.dsn = _dsn(url)
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._out: set[str] = set()
        self._out_ready = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.received = 0

    def start(self) -> None:
        """Start the listening and the sending thread."""
        signals.forward(self._queue)
        for target, name in ((self._listen, "listen"), (self._send, "notify")):
            thread = threading.Thread(target=target, name=f"niaga-signals-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop both threads (they end within a second)."""
        signals.unforward(self._queue)
        self._stop.set()
        self._out_ready.set()
        for thread in self._threads:
            thread.join(3)
        self._threads.clear()

    def _queue(self, name: str) -> None:
        self._out.add(name)
        self._out_ready.set()

    def _send(self) -> None:
        import psycopg

        conn: psycopg.Connection | None = None
        while not self._stop.is_set():
            self._out_ready.wait(1.0)
            self._out_ready.clear()
            names = list(self._out)
            self._out.difference_update(names)
            if not names or self._stop.is_set():
                continue
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
                with conn.cursor() as cur:
                    cur.executemany(
                        "SELECT pg_notify(%s, %s)", [(CHANNEL, f"{self.origin} {n}") for n in names]
                    )
            except Exception as exc:
                log.info("could not send signals through PostgreSQL (%s); loops poll", exc)
                if conn is not None:
                    with suppress(Exception):
                        conn.close()
                conn = None
                self._stop.wait(1.0)
        if conn is not None:
            with suppress(Exception):
                conn.close()

    def _listen(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            origin, _, name = note.payload.partition(" ")
                            if origin != self.origin and name:
                                self.received += 1
                                signals.notify(name, received=True)
            except Exception as exc:
                if self._stop.is_set():
                    return
                log.info("listening for signals through PostgreSQL failed (%s); again", exc)
                self._stop.wait(1.0)


_shared: PgSignalBridge | None = None
_users = 0
_shared_lock = threading.Lock()


def acquire(url: str) -> None:
    """Start this process's bridge for ``url`` (one per process, however many ask)."""
    global _shared, _users
    if not url.startswith(("postgresql", "postgres://")):
        return
    with _shared_lock:
        _users += 1
        if _shared is None:
            _shared = PgSignalBridge(url)
            _shared.start()


def release(url: str) -> None:
    """Stop the bridge once its last user released it."""
    global _shared, _users
    if not url.startswith(("postgresql", "postgres://")):
        return
    with _shared_lock:
        _users = max(0, _users - 1)
        if _users == 0 and _shared is not None:
            bridge, _shared = _shared, None
            bridge.stop()
