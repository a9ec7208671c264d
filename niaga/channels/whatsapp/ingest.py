"""Durable webhook intake: group concurrent bodies into one transaction (group commit).

Each request waits until the transaction that holds its row has committed, so answering
200 means the body is on disk. Measured on SQLite, one row per transaction commits about
6,000/s; a batch of 100 about 100,000 rows/s, hence the grouping (DESIGN.md §3).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, bindparam, insert
from sqlalchemy.exc import OperationalError

from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.core import clock
from niaga.core.db import is_transient

log = logging.getLogger(__name__)


@dataclass
class _Item:
    body: bytes
    future: asyncio.Future[None]
    dead_reason: str | None = None
    headers: dict[str, Any] | None = field(default=None)


class WebhookWriter:
    """Collects bodies from concurrent requests and writes them in shared transactions."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 500,
        on_stored: Callable[[], None] | None = None,
        priority: Callable[[], AbstractContextManager[None]] | None = None,
        intake: Engine | None = None,
    ) -> None:
        self._engine = engine
        # Where the webhook bodies go (:mod:`niaga.channels.whatsapp.intake_db`); dead letters
        # always go to the main database.
        self._intake = intake if intake is not None else engine
        # On SQLite, tells the worker child to give way while a batch is written.
        self._priority = priority or nullcontext
        self._max_batch = max_batch
        self._on_stored = on_stored
        self._insert_event = insert(WebhookEvent).values(
            body=bindparam("body"), received_at=bindparam("received_at"), attempts=0
        )
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        # One writer thread: while it commits one batch, the next one gathers.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-writer")

    async def start(self) -> None:
        """Start the writer task on the running loop."""
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="webhook-writer")

    @property
    def running(self) -> bool:
        """Its task is storing webhooks."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None or self._queue is None:
            return
        await self._queue.join()
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        self._executor.shutdown(wait=True)

    async def store(self, body: bytes) -> None:
        """Persist a webhook body; returns once the transaction holding it has committed."""
        return await self._submit(_Item(body, asyncio.get_running_loop().create_future()))

    async def dead_letter(self, body: bytes, reason: str, headers: dict[str, Any]) -> None:
        """Persist a signed but unusable body in ``dead_letters``."""
        loop = asyncio.get_running_loop()
        return await self._submit(_Item(body, loop.create_future(), reason, headers))

    async def _submit(self, item: _Item) -> None:
        if self._queue is None:
            raise RuntimeError("WebhookWriter is not started")
        self._queue.put_nowait(item)
        return await item.future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await loop.run_in_executor(self._executor, self._write, batch)
            except Exception as exc:  # database down: every waiter gets the error (→ 500)
                log.exception("webhook batch of %d failed", len(batch))
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
            else:
                for item in batch:
                    if not item.future.done():
                        item.future.set_result(None)
                if self._on_stored is not None and any(i.dead_reason is None for i in batch):
                    self._on_stored()
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _write(self, batch: list[_Item]) -> None:
        now = clock.now()
        events = [{"body": i.body} for i in batch if i.dead_reason is None]
        dead = [i for i in batch if i.dead_reason is not None]
        if events and self._intake is not self._engine:
            # A file of its own: no one but processing's short mark-done writes there.
            with self._intake.connect() as conn, _fast_retry(conn):
                self._insert(conn, events, [], now)
            events = []
        if events or dead:
            with self._priority(), self._engine.connect() as conn, _fast_retry(conn):
                self._insert(conn, events, dead, now)

    def _insert(self, conn: Any, events: list[dict[str, Any]], dead: list[_Item], now: Any) -> None:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                with conn.begin():
                    self._rows(conn, events, dead, now)
                return
            except OperationalError as exc:
                if not is_transient(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.0005)  # the worker child gives way (core/write_priority): soon

    def _rows(self, conn: Any, events: list[dict[str, Any]], dead: list[_Item], now: Any) -> None:
        if events:
            # Driver-level executemany: the hot path of ingest, no ORM, no RETURNING.
            conn.execute(self._insert_event, [{**e, "received_at": now} for e in events])
        if dead:
            conn.execute(
                insert(DeadLetter),
                [
                    {
                        "body": i.body,
                        "received_at": now,
                        "reason": i.dead_reason,
                        "headers": i.headers,
                        "source": "webhook",
                    }
                    for i in dead
                ],
            )


LOCK_WAIT = 30.0  # seconds the intake waits for SQLite's write lock before it answers 500


@contextmanager
def _fast_retry(conn: Any) -> Iterator[None]:
    """On SQLite, look for the write lock every half millisecond instead of SQLite's own
    growing sleeps (up to 100 ms): the worker child releases it as soon as it sees us wait."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection  # a PRAGMA, not a transaction of SQLAlchemy's
    raw.execute("PRAGMA busy_timeout = 1")
    try:
        yield
    finally:
        raw.execute("PRAGMA busy_timeout = 30000")
