"""Run a registry's work in one process: its loops, its share of periodic and delayed jobs."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

from niaga.core import clock, events
from niaga.core.db import transaction
from niaga.core.jobs import signals, store
from niaga.core.jobs.registry import JobContext, Loop, PeriodicSpec, Registry
from niaga.core.jobs.waker import Waker

log = logging.getLogger(__name__)

MAX_SLEEP = 5.0  # look at the shared schedule at least this often (other processes change it)
MAX_RETRY = 3600.0


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Await ``fn`` if it is a coroutine function, else run it in a thread."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    return await asyncio.to_thread(fn, *args)


class JobRunner:
    """Starts every loop of the registry and takes turns on its periodic and delayed jobs."""

    def __init__(
        self, registry: Registry, ctx: JobContext, *, poll: float = 1.0, concurrency: int = 4
    ) -> None:
        self.registry = registry
        self.ctx = ctx
        self.poll = poll
        self.concurrency = concurrency
        self.loops: dict[str, Loop] = {}
        self._paused: set[str] = set()
        self._stop = asyncio.Event()
        self._waker = Waker()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[str, asyncio.Task[None]] = {}  # periodic jobs running here
        self._jobs: set[asyncio.Task[None]] = set()  # delayed jobs running here
        self._asked: set[str] = set()  # periodic jobs a signal asked for
        self._failures: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    # Pausing (maintenance; tests that drive a domain's services themselves) ----------------

    def pause(self, prefix: str) -> None:
        """Skip every job named ``prefix`` or ``prefix.…`` until :meth:`resume`."""
        self._paused.add(prefix)
        self._apply_pause()

    def resume(self, prefix: str) -> None:
        """Undo :meth:`pause`."""
        self._paused.discard(prefix)
        self._apply_pause()
        self._waker.wake()

    def idle(self, prefix: str) -> bool:
        """Nothing named ``prefix``… is running here now: no periodic job, no loop's round
        (a loop says so with ``busy``). After :meth:`pause`, work in flight finishes first."""
        matching = [
            n for n in (*self._running, *self.loops) if n == prefix or n.startswith(prefix + ".")
        ]
        return not any(
            n in self._running or getattr(self.loops.get(n), "busy", False) for n in matching
        )

    def is_paused(self, name: str) -> bool:
        """Whether ``name`` is paused."""
        return any(name == p or name.startswith(p + ".") for p in self._paused)

    def _apply_pause(self) -> None:
        for name, loop in self.loops.items():
            if hasattr(loop, "paused"):
                loop.paused = self.is_paused(name)  # type: ignore[attr-defined]
            if not self.is_paused(name):
                loop.wake()

    # Life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Build the loops and start everything as tasks on the running event loop."""
        self._stop.clear()
        for name, spec in self.registry.loops.items():
            loop = spec.build(self.ctx)
            self.loops[name] = loop
            self._wire(spec.wake_on, spec.wake_on_events, loop.wake)
            self._tasks.append(asyncio.create_task(self._supervise(name, loop), name=name))
        self._apply_pause()
        for spec in self.registry.periodic.values():
            self._wire(spec.wake_on, (), self._asker(spec.name))
        if self.registry.periodic or self.registry.tasks:
            self._wire((signals.JOBS_SCHEDULED,), (), self._waker.wake)
            self._tasks.append(asyncio.create_task(self._schedule_loop(), name="jobs"))

    def _wire(self, sigs: tuple[str, ...], evts: tuple[str, ...], wake: Callable[[], None]) -> None:
        for sig in sigs:

            def on_signal(_name: str, wake: Callable[[], None] = wake) -> None:
                wake()

            signals.listen(sig, on_signal)
            self._undo.append(lambda sig=sig, fn=on_signal: signals.unlisten(sig, fn))
        for name in evts:

            def on_event(_event: events.Event, wake: Callable[[], None] = wake) -> None:
                wake()

            events.subscribe(name, on_event)
            self._undo.append(lambda name=name, fn=on_event: events.unsubscribe(name, fn))

    def _asker(self, name: str) -> Callable[[], None]:
        def ask() -> None:
            self._asked.add(name)
            self._waker.wake()

        return ask

    async def _supervise(self, name: str, loop: Loop) -> None:
        """Run a loop; if it ever raises, log it and start it again."""
        while not self._stop.is_set():
            try:
                await loop.run(self._stop)
            except Exception:
                log.exception("background loop %s failed; starting it again", name)
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=1.0)

    async def stop(self) -> None:
        """Stop the loops, let running jobs finish (30 s at most), close the channel."""
        self._stop.set()
        for undo in self._undo:
            undo()
        self._undo.clear()
        for loop in self.loops.values():
            loop.wake()
        self._waker.wake()
        pending = [*self._tasks, *self._running.values(), *self._jobs]
        if pending:
            _, late = await asyncio.wait(pending, timeout=30)
            for task in late:
                task.cancel()
            for task in late:
                with suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks.clear()
        for loop in self.loops.values():
            close = getattr(loop, "aclose", None)
            if close is not None:
                with suppress(Exception):
                    await close()
        await self.ctx.close()

    # The shared schedule ---------------------------------------------------------------------

    async def _schedule_loop(self) -> None:
        names = list(self.registry.periodic)
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self._ensure_rows, names)
                break
            except Exception:
                log.exception("could not set up the periodic jobs; retrying")
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=2.0)
        while not self._stop.is_set():
            self._waker.clear()
            try:
                delay = await self._round()
            except Exception:
                log.exception("jobs round failed; trying again")
                delay = 1.0
            if delay > 0:
                await self._waker.wait(delay)
            else:
                await asyncio.sleep(0)

    def _ensure_rows(self, names: list[str]) -> None:
        with transaction(self.ctx.factory) as session:
            store.ensure_periodic(session, names, clock.now())

    async def _round(self) -> float:
        """Start what is due; returns how long to sleep before looking again."""
        sleep = min(self.poll, MAX_SLEEP)
        if self.registry.periodic:
            sleep = min(sleep, await self._periodic_round())
        if self.registry.tasks:
            sleep = min(sleep, await self._delayed_round())
        return max(sleep, 0.0)

    async def _periodic_round(self) -> float:
        specs = [
            s
            for s in self.registry.periodic.values()
            if s.name not in self._running and not self.is_paused(s.name)
        ]
        if not specs:
            return MAX_SLEEP
        schedule = await asyncio.to_thread(self._read_periodic, [s.name for s in specs])
        now = clock.now()
        sleep = MAX_SLEEP
        for spec in specs:
            asked = spec.name in self._asked
            next_at = schedule.get(spec.name, now)
            if not asked and next_at > now:
                sleep = min(sleep, (next_at - now).total_seconds())
                continue
            self._asked.discard(spec.name)
            taken = await asyncio.to_thread(self._claim_periodic, spec, asked)
            if taken:
                task = asyncio.create_task(self._run_periodic(spec), name=spec.name)
                self._running[spec.name] = task
            else:
                sleep = min(sleep, 1.0)  # another process runs it; look again soon
        return sleep

    def _read_periodic(self, names: list[str]) -> dict[str, Any]:
        with self.ctx.read_factory() as session:
            return store.periodic_schedule(session, names)

    def _claim_periodic(self, spec: PeriodicSpec, asked: bool) -> bool:
        with transaction(self.ctx.factory) as session:
            return store.claim_periodic(
                session, spec.name, self.ctx.worker_id, spec.every, spec.timeout, now_=asked
            )

    async def _run_periodic(self, spec: PeriodicSpec) -> None:
        error: str | None = None
        started = time.monotonic()
        try:
            await _call(spec.run, self.ctx)
            self._failures.pop(spec.name, None)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            failures = self._failures[spec.name] = self._failures.get(spec.name, 0) + 1
            log.warning("periodic job %s failed (%s); tried %d times", spec.name, error, failures)
        retry = None
        if error is not None:
            retry = min(spec.retry_after * 2 ** (self._failures[spec.name] - 1), spec.every)
        try:
            await asyncio.to_thread(self._finish_periodic, spec.name, error, retry)
        except Exception:
            log.exception("could not record the end of periodic job %s", spec.name)
        finally:
            self._running.pop(spec.name, None)
            if time.monotonic() - started > spec.timeout:
                log.warning("periodic job %s ran longer than its timeout", spec.name)
            self._waker.wake()

    def _finish_periodic(self, name: str, error: str | None, retry: float | None) -> None:
        with transaction(self.ctx.factory) as session:
            store.finish_periodic(session, name, self.ctx.worker_id, error, retry)

    # Delayed jobs ----------------------------------------------------------------------------

    async def _delayed_round(self) -> float:
        free = self.concurrency - len(self._jobs)
        names = [n for n in self.registry.tasks if not self.is_paused(n)]
        if free <= 0 or not names:
            return self.poll
        due, soonest = await asyncio.to_thread(self._look, names)
        if not due:
            if soonest is None:
                return self.poll
            return max(0.05, (soonest - clock.now()).total_seconds())
        lease = max(self.registry.tasks[n].lease for n in names)
        claimed = await asyncio.to_thread(self._claim, names, free, lease)
        for job in claimed:
            task = asyncio.create_task(self._run_job(job), name=f"job:{job.name}")
            self._jobs.add(task)
            task.add_done_callback(self._jobs.discard)
        return 0.0 if len(claimed) == free else self.poll

    def _look(self, names: list[str]) -> tuple[bool, Any]:
        with self.ctx.read_factory() as session:
            if store.has_due(session, names):
                return True, None
            return False, store.next_due_at(session, names)

    def _claim(self, names: list[str], limit: int, lease: float) -> list[store.ClaimedJob]:
        with transaction(self.ctx.factory) as session:
            return store.claim(session, self.ctx.worker_id, names, limit, lease)

    async def _run_job(self, job: store.ClaimedJob) -> None:
        spec = self.registry.tasks[job.name]
        try:
            if spec.transactional:
                await asyncio.to_thread(self._run_transactional, spec.run, job)
            else:
                await _call(spec.run, self.ctx, job.payload)
                await asyncio.to_thread(self._finish, job)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            retry = min(spec.retry_after * 2 ** (job.attempts - 1), MAX_RETRY)
            try:
                dead = await asyncio.to_thread(self._fail, job, error, retry)
            except Exception:
                log.exception("could not record the failure of job %s #%d", job.name, job.id)
                return
            if dead:
                log.error("job %s #%d failed for good: %s", job.name, job.id, error)
            else:
                log.warning(
                    "job %s #%d failed (%s); retrying in %.0f s", job.name, job.id, error, retry
                )
        finally:
            self._waker.wake()

    def _run_transactional(self, run: Callable[..., Any], job: store.ClaimedJob) -> None:
        with transaction(self.ctx.factory) as session:
            run(session, job.payload)
            store.finish(session, job.id, self.ctx.worker_id)

    def _finish(self, job: store.ClaimedJob) -> None:
        with transaction(self.ctx.factory) as session:
            store.finish(session, job.id, self.ctx.worker_id)

    def _fail(self, job: store.ClaimedJob, error: str, retry: float) -> bool:
        with transaction(self.ctx.factory) as session:
            return store.fail(session, job, self.ctx.worker_id, error, retry)


def keep_finished_jobs(ctx: JobContext) -> int:
    """The purge job: finished jobs stay 7 days, failed ones 30 (for inspection)."""
    with transaction(ctx.factory) as session:
        return store.purge(session, timedelta(days=7), timedelta(days=30))
