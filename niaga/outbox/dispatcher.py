"""The dispatcher: claims outbox rows in batches and sends them, paced per phone number.

One asyncio loop per process: a claimer feeds rows to concurrent senders over one aiohttp
session (GraphClient), a recorder writes outcomes in batches, and a recovery task handles
rows left behind by a dispatcher that died (see :mod:`niaga.outbox.store`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from contextlib import suppress

from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.base import Channel, UnsendableMessage
from niaga.channels.whatsapp.errors import GraphError, GraphTransportError
from niaga.core import metrics
from niaga.core.config import Settings
from niaga.core.db import is_transient
from niaga.core.jobs.waker import Waker
from niaga.outbox import store
from niaga.outbox.ratelimit import RateLimiter
from niaga.outbox.reports import MessageStates
from niaga.outbox.store import Claimed, Result

log = logging.getLogger(__name__)


class Dispatcher:
    """Sends every pending outbox row at most once, at the configured rate."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        channel: Channel,
        limiter: RateLimiter,
        settings: Settings,
        states: MessageStates,
        *,
        worker_id: str | None = None,
    ) -> None:
        self._factory = factory
        self._states = states
        self._channel = channel
        self._limiter = limiter
        self._s = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._waker = Waker()
        self._results: list[Result] = []
        self._results_ready = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._sem = asyncio.Semaphore(settings.dispatch_concurrency)
        self.sent = 0

    def wake(self) -> None:
        """Claim now: new rows committed (safe from any thread)."""
        self._waker.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set, then finish what is in flight."""
        recorder = asyncio.create_task(self._record_loop(stop), name="outbox-recorder")
        recovery = asyncio.create_task(self._recovery_loop(stop), name="outbox-recovery")
        try:
            await self._claim_loop(stop)
        finally:
            if self._inflight:
                await asyncio.gather(*self._inflight, return_exceptions=True)
            recovery.cancel()
            self._results_ready.set()
            await recorder
            with suppress(asyncio.CancelledError):
                await recovery

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        rate = self._s.wa_messages_per_second
        while not stop.is_set():
            limit = max(1, min(self._s.dispatch_batch_size, rate))
            lease = self._s.dispatch_lease_seconds + limit / rate
            # Clear before claiming: a wake-up during the claim must not be lost.
            self._waker.clear()
            try:
                rows = await asyncio.to_thread(
                    store.claim, self._factory, self.worker_id, limit, lease
                )
            except Exception:
                log.exception("claiming outbox rows failed")
                rows = []
            if not rows:
                await self._waker.wait(self._s.dispatch_poll_interval)
                continue
            for row in rows:
                await self._limiter.acquire(row.phone_number_id)
                await self._sem.acquire()
                task = asyncio.create_task(self._send(row))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)

    async def _send(self, row: Claimed) -> None:
        try:
            result = await self._attempt(row)
        finally:
            self._sem.release()
        metrics.count_send(result.outcome, result.error_code)
        self._results.append(result)
        if len(self._results) >= 100:
            self._results_ready.set()

    async def _attempt(self, row: Claimed) -> Result:
        try:
            if row.kind == "mark_read":
                read = row.message or {}
                await self._channel.mark_read(
                    row.phone_number_id, str(read.get("wamid")), bool(read.get("typing"))
                )
                return Result(row.id, "sent")
            if row.message is None and row.body is not None:  # queued before migration 0009
                sent = await self._channel.send(row.phone_number_id, row.body)
            else:
                sent = await self._channel.send_message(
                    row.phone_number_id,
                    row.message or {},
                    to=row.recipient or "",
                    reply_to=row.reply_to_wamid,
                    callback_data=row.key,
                )
        except GraphError as exc:
            outcome = "retry" if exc.retryable else "failed"
            return Result(
                row.id,
                outcome,
                error_code=exc.code,
                error_title=str(exc.message)[:500],
                error_detail=exc.details,
                retry_after=exc.retry_after,
            )
        except GraphTransportError as exc:
            outcome = "in_doubt" if exc.maybe_delivered else "retry"
            return Result(row.id, outcome, error_title=str(exc)[:500])
        except UnsendableMessage as exc:  # the channel cannot render it: nothing was sent
            return Result(row.id, "failed", error_title=str(exc)[:500])
        except Exception as exc:  # a bug must not lose the row: keep it for a person
            log.exception("unexpected error sending outbox row %s", row.id)
            return Result(row.id, "in_doubt", error_title=f"{type(exc).__name__}: {exc}"[:500])
        self.sent += 1
        return Result(row.id, "sent", wamid=sent.wamid)

    async def _record_loop(self, stop: asyncio.Event) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._results_ready.wait(), 0.05)
            self._results_ready.clear()
            batch, self._results = self._results, []
            if batch:
                await self._flush(batch)
            if stop.is_set() and not self._inflight and not self._results:
                return

    async def _flush(self, batch: list[Result]) -> None:
        for attempt in range(10):
            try:
                await asyncio.to_thread(
                    store.record,
                    self._factory,
                    batch,
                    states=self._states,
                    max_attempts=self._s.dispatch_max_attempts,
                    backoff_base=self._s.dispatch_backoff_base,
                    backoff_max=self._s.dispatch_backoff_max,
                )
                return
            except Exception as exc:
                if is_transient(exc):  # a lost race: the same batch again, nothing is lost
                    log.info("recording send results lost a race (%s); again", type(exc).__name__)
                else:
                    log.exception("recording %d send results failed (try %d)", len(batch), attempt)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        # Leave them "sending": lease expiry and recovery will settle them without resending.
        log.error("gave up recording %d results; recovery will settle them", len(batch))

    async def _recovery_loop(self, stop: asyncio.Event) -> None:
        interval = max(0.5, min(10.0, self._s.dispatch_in_doubt_seconds / 4))
        while not stop.is_set():
            try:
                counts = await asyncio.to_thread(
                    store.recover,
                    self._factory,
                    self._s.dispatch_in_doubt_seconds,
                    self._states,
                )
                if any(counts.values()):
                    log.warning("outbox recovery: %s", counts)
                    if counts["requeued"]:
                        self._waker.wake()
            except Exception:
                log.exception("outbox recovery failed")
            await asyncio.sleep(interval)
