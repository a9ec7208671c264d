"""``niaga serve``'s background work in a process of its own, tied to the web process by a pipe.

Measured on this 2-core machine: with processing, automation and the dispatcher inside the web
process, the webhook's answers waited seconds for the interpreter lock (and, on SQLite, for
the write lock held by long rounds). In a child process the web process only verifies, stores
and acknowledges. The pipe carries, one way, every signal of :mod:`niaga.core.jobs.signals`
("webhooks stored", "outbox rows queued", "job scheduled") so the child reacts at once instead
of polling, and, the other way, the child's live events for the browsers the web process serves
(with ``NIAGA_REDIS_URL`` the child publishes them to Redis instead, like a standalone worker).
When the web process dies, the pipe closes and the child stops; a new web process starts a new
child, which takes up the stored work where it was.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.connection import Connection
from typing import Any

from niaga.core.config import Settings
from niaga.core.write_priority import WritePriority

log = logging.getLogger(__name__)

EVENT_BATCH_SECONDS = 0.05  # live events wait at most this long to share one pipe message


class WorkerProcess:
    """The parent's side: start the child, forward wake-ups, deliver the child's live events."""

    def __init__(self, settings: Settings, deliver: Callable[[list[dict[str, Any]]], None]) -> None:
        self.settings = settings
        self._deliver = deliver
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._ctx = multiprocessing.get_context("spawn")
        # SQLite: the intake's writes go before the child's (niaga.core.write_priority).
        self.priority = WritePriority(self._ctx.Value("i", 0)) if settings.is_sqlite else None

    def start(self) -> None:
        """Spawn the child (a fresh interpreter: no state of the web process is inherited)."""
        ctx = self._ctx
        parent, child = ctx.Pipe(duplex=True)
        self._conn = parent
        shared = self.priority.value if self.priority is not None else None
        self._process = ctx.Process(
            target=_child_main,
            args=(self.settings.model_dump(), child, shared),
            name="niaga-worker",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._reader = threading.Thread(target=self._read, name="niaga-worker-pipe", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        """The child is running."""
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """The child's process id."""
        return self._process.pid if self._process is not None else None

    def wake(self, what: str) -> None:
        """Forward the signal ``what`` (work is waiting) to the child (any thread)."""
        conn = self._conn
        if conn is None:
            return
        with self._send_lock, suppress(OSError, ValueError):
            conn.send(("wake", what))

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                return
            if kind == "events":
                try:
                    self._deliver(payload)
                except Exception:
                    log.warning("could not deliver a live event from the worker", exc_info=True)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the child to finish (in-flight sends complete), then close the pipe."""
        conn, process = self._conn, self._process
        if conn is not None:
            with self._send_lock, suppress(OSError, ValueError):
                conn.send(("stop", None))
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
                process.join(5)
        if conn is not None:
            conn.close()
        self._conn = self._process = None


def _child_main(settings_data: dict[str, Any], conn: Connection, priority: Any = None) -> None:
    """The child: run the worker until the parent says stop or goes away."""
    import niaga.models  # noqa: F401  (every table)
    from niaga.core.db import set_write_gate

    settings = Settings(**settings_data)
    if priority is not None:
        set_write_gate(WritePriority(priority).give_way)
    from niaga.core import logs, metrics

    logs.configure(settings.log_level, settings.log_format, "worker")
    try:
        asyncio.run(_run_child(settings, conn))
    finally:
        metrics.process_exiting()


async def _run_child(settings: Settings, conn: Connection) -> None:
    from niaga import listeners
    from niaga.core import events, live
    from niaga.core.db import make_engine, make_sessionmaker
    from niaga.core.jobs import signals
    from niaga.runtime import Worker

    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    listeners.register(settings, factory)
    send_lock = threading.Lock()
    pending: list[dict[str, Any]] = []
    done = threading.Event()

    def to_parent(event: events.Event) -> None:
        payload = {"type": event.name, **live.plain(event.data)}
        with send_lock:
            pending.append(payload)

    def send_events() -> None:
        """A campaign's thousand statuses a second cross the pipe as a few batches."""
        while not done.wait(EVENT_BATCH_SECONDS):
            with send_lock:
                batch = pending.copy()
                pending.clear()
            if batch:
                with suppress(OSError, ValueError):
                    conn.send(("events", batch))

    hub = live.LiveHub(redis_url=settings.redis_url) if settings.redis_url else None
    if hub is not None:
        live.subscribe(hub)
    else:
        for name in live.LIVE_EVENTS:
            events.subscribe(name, to_parent)
    worker = Worker(settings, factory, dispatch=settings.embedded_dispatch)
    worker.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def read() -> None:
        while True:
            try:
                kind, what = conn.recv()
            except (EOFError, OSError):  # the web process is gone
                break
            if kind == "stop":
                break
            if kind == "wake":
                signals.notify(what, received=True)
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=read, name="niaga-worker-pipe", daemon=True).start()
    if hub is None:
        threading.Thread(target=send_events, name="niaga-worker-events", daemon=True).start()
    await stop.wait()
    await worker.stop()
    done.set()
    engine.dispose()
