"""The jobs layer: wake-ups, durable delayed jobs, periodic jobs shared by processes, loops.

Runners here work on a database of this module's own (no live server), two of them at once
where the point is that several processes share the work.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.core import clock
from niaga.core.db import make_sessionmaker, transaction
from niaga.core.jobs import signals, store
from niaga.core.jobs.models import PeriodicRun, ScheduledJob
from niaga.core.jobs.registry import JobContext, LoopSpec, PeriodicSpec, Registry, TaskSpec
from niaga.core.jobs.runner import JobRunner
from niaga.core.jobs.waker import Waker


def _ctx(factory: sessionmaker[Session], worker_id: str) -> JobContext:
    engine = factory.kw["bind"]
    return JobContext(
        settings=None,
        factory=factory,
        read_factory=make_sessionmaker(engine, read_only=True),
        worker_id=worker_id,
    )


async def _until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def _jobs(factory: sessionmaker[Session]) -> list[ScheduledJob]:
    with factory() as s:
        return list(s.scalars(select(ScheduledJob).order_by(ScheduledJob.id)))


# Waker ------------------------------------------------------------------------------------


def test_waker_keeps_a_wake_up_given_before_anyone_waits() -> None:
    async def main() -> tuple[bool, bool]:
        waker = Waker()
        waker.wake()  # before the loop ever waited
        first = await waker.wait(1.0)
        waker.clear()
        second = await waker.wait(0.05)
        return first, second

    assert asyncio.run(main()) == (True, False)


def test_waker_is_woken_from_another_thread() -> None:
    async def main() -> float:
        waker = Waker()
        waker.clear()
        started = time.monotonic()
        threading.Timer(0.1, waker.wake).start()
        assert await waker.wait(5.0)
        return time.monotonic() - started

    assert asyncio.run(main()) < 2.0


# Delayed jobs -----------------------------------------------------------------------------


def test_schedule_with_a_key_moves_the_waiting_job_instead_of_adding_one(
    own_factory: sessionmaker[Session],
) -> None:
    later = clock.now() + timedelta(hours=2)
    with transaction(own_factory) as s:
        store.schedule(s, "t.x", key="k", payload={"n": 1}, run_at=later)
    with transaction(own_factory) as s:
        store.schedule(s, "t.x", key="k", payload={"n": 2}, run_at=later + timedelta(days=1))
        store.schedule(s, "t.x", payload={"n": 3})  # no key: always a new job
    rows = _jobs(own_factory)
    assert [(r.key, r.payload["n"]) for r in rows] == [("k", 2), (None, 3)]
    assert clock.as_utc(rows[0].run_at) == later + timedelta(days=1)
    with transaction(own_factory) as s:
        assert store.cancel(s, "k")
        assert not store.cancel(s, "k")
    assert [r.status for r in _jobs(own_factory)] == ["cancelled", "pending"]


def test_a_job_scheduled_again_while_running_runs_once_more(
    own_factory: sessionmaker[Session],
) -> None:
    with transaction(own_factory) as s:
        store.schedule(s, "t.x", key="sync")
    with transaction(own_factory) as s:
        (claimed,) = store.claim(s, "w1", ["t.x"], 10, 60)
    with transaction(own_factory) as s:  # the profile changed again while it ran
        store.schedule(s, "t.x", key="sync")
    with transaction(own_factory) as s:
        store.finish(s, claimed.id, "w1")
    (row,) = _jobs(own_factory)
    assert (row.status, row.again, row.key) == ("pending", False, "sync")
    with transaction(own_factory) as s:
        (again,) = store.claim(s, "w1", ["t.x"], 10, 60)
        store.finish(s, again.id, "w1")
    (row,) = _jobs(own_factory)
    assert (row.status, row.key) == ("done", None)  # the key is free for the next change


def test_a_job_whose_process_died_is_taken_up_again_then_failed_for_good(
    own_factory: sessionmaker[Session],
) -> None:
    with transaction(own_factory) as s:
        store.schedule(s, "t.crash", max_attempts=2)
    for attempt in (1, 2):
        with transaction(own_factory) as s:
            (claimed,) = store.claim(s, f"w{attempt}", ["t.crash"], 10, lease=0.01)
        assert claimed.attempts == attempt
        time.sleep(0.05)  # the lease runs out: the holder died
    with transaction(own_factory) as s:
        assert store.claim(s, "w3", ["t.crash"], 10, 60) == []
    (row,) = _jobs(own_factory)
    assert row.status == "failed" and "stopped" in (row.last_error or "")


def test_runner_runs_due_jobs_retries_failures_and_dead_letters(
    own_factory: sessionmaker[Session],
) -> None:
    ran: list[tuple[str, Any]] = []

    def flaky(_ctx: JobContext, payload: dict[str, Any]) -> None:
        ran.append(("flaky", payload["n"]))
        if len([r for r in ran if r[0] == "flaky"]) < 3:
            raise RuntimeError("Graph API down")

    def broken(_ctx: JobContext, _payload: dict[str, Any]) -> None:
        ran.append(("broken", None))
        raise ValueError("never works")

    async def later(_ctx: JobContext, payload: dict[str, Any]) -> None:
        ran.append(("later", payload["n"]))
        later_at.append(time.monotonic())

    registry = Registry()
    registry.add_task(TaskSpec("t.flaky", flaky, retry_after=0.05))
    registry.add_task(TaskSpec("t.broken", broken, retry_after=0.01))
    registry.add_task(TaskSpec("t.later", later))
    with transaction(own_factory) as s:
        store.schedule(s, "t.flaky", payload={"n": 1})
        store.schedule(s, "t.broken", max_attempts=3)
        store.schedule(s, "t.later", payload={"n": 7}, run_at=clock.now() + timedelta(seconds=1))

    async def main() -> float:
        runner = JobRunner(registry, _ctx(own_factory, "w1"), poll=0.1)
        started = time.monotonic()
        runner.start()
        try:
            await _until(lambda: ("later", 7) in ran and ran.count(("broken", None)) == 3)
            await _until(lambda: [j.status for j in _jobs(own_factory)].count("pending") == 0)
        finally:
            await runner.stop()
        return later_at[0] - started

    later_at: list[float] = []
    waited = asyncio.run(main())
    assert waited >= 0.9  # not before its time
    assert ran.count(("flaky", 1)) == 3 and ran.count(("broken", None)) == 3
    status = {j.name: (j.status, j.attempts, j.last_error) for j in _jobs(own_factory)}
    assert status["t.flaky"] == ("done", 3, None)
    assert status["t.broken"][:2] == ("failed", 3)
    assert "never works" in (status["t.broken"][2] or "")
    assert status["t.later"][0] == "done"


def test_a_transactional_job_commits_with_its_completion_or_not_at_all(
    own_factory: sessionmaker[Session],
) -> None:
    calls: list[int] = []

    def record(session: Session, payload: dict[str, Any]) -> None:
        calls.append(payload["n"])
        store.schedule(session, "t.effect", payload=payload)  # the job's own write
        if len(calls) == 1:
            raise RuntimeError("crash after writing")

    registry = Registry()
    registry.add_task(TaskSpec("t.tx", record, transactional=True, retry_after=0.01))
    with transaction(own_factory) as s:
        store.schedule(s, "t.tx", payload={"n": 5})

    async def main() -> None:
        runner = JobRunner(registry, _ctx(own_factory, "w1"), poll=0.05)
        runner.start()
        try:
            await _until(lambda: any(j.status == "done" for j in _jobs(own_factory)))
        finally:
            await runner.stop()

    asyncio.run(main())
    assert calls == [5, 5]
    effects = [j for j in _jobs(own_factory) if j.name == "t.effect"]
    assert len(effects) == 1  # the failed attempt's write was rolled back


def test_two_runners_share_delayed_jobs_and_run_each_once(
    own_factory: sessionmaker[Session],
) -> None:
    done: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(ctx: JobContext, payload: dict[str, Any]) -> None:
        time.sleep(0.01)
        with lock:
            done.append((ctx.worker_id, payload["n"]))

    registry = Registry()
    registry.add_task(TaskSpec("t.work", work))
    with transaction(own_factory) as s:
        for n in range(60):
            store.schedule(s, "t.work", payload={"n": n})

    async def main() -> None:
        runners = [JobRunner(registry, _ctx(own_factory, w), poll=0.05) for w in ("a", "b")]
        for r in runners:
            r.start()
        try:
            await _until(lambda: len(done) >= 60)
            await asyncio.sleep(0.3)
        finally:
            for r in runners:
                await r.stop()

    asyncio.run(main())
    assert sorted(n for _, n in done) == list(range(60))
    assert {w for w, _ in done} == {"a", "b"}
    with own_factory() as s:
        assert s.scalar(select(func.count()).where(ScheduledJob.status != "done")) == 0


# Periodic jobs ----------------------------------------------------------------------------


def test_a_periodic_job_runs_in_one_process_at_a_time(
    own_factory: sessionmaker[Session],
) -> None:
    runs: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    def tick(ctx: JobContext) -> None:
        start = time.monotonic()
        time.sleep(0.15)
        with lock:
            runs.append((ctx.worker_id, start, time.monotonic()))

    registry = Registry()
    registry.add_periodic(PeriodicSpec("t.tick", 0.5, tick))

    async def main() -> None:
        runners = [JobRunner(registry, _ctx(own_factory, w), poll=0.05) for w in ("a", "b")]
        for r in runners:
            r.start()
        await asyncio.sleep(3.2)
        for r in runners:
            await r.stop()

    asyncio.run(main())
    runs.sort(key=lambda r: r[1])
    assert 4 <= len(runs) <= 8, runs  # every 0.5 s across both, not twice as often
    for before, after in itertools.pairwise(runs):
        assert after[1] >= before[2], "two processes ran the periodic job at once"
    with own_factory() as s:
        row = s.get_one(PeriodicRun, "t.tick")
        assert row.runs == len(runs) and row.running_by is None


def test_a_failing_periodic_job_is_retried_sooner_and_its_error_kept(
    own_factory: sessionmaker[Session],
) -> None:
    attempts: list[float] = []

    def sync(_ctx: JobContext) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ConnectionError("sandbox not up yet")

    registry = Registry()
    registry.add_periodic(PeriodicSpec("t.sync", 3600.0, sync, retry_after=0.1))

    async def main() -> None:
        runner = JobRunner(registry, _ctx(own_factory, "a"), poll=0.05)
        runner.start()
        try:
            await _until(lambda: len(attempts) >= 3)
            await asyncio.sleep(0.5)
        finally:
            await runner.stop()

    asyncio.run(main())
    assert len(attempts) == 3  # then hourly
    with own_factory() as s:
        row = s.get_one(PeriodicRun, "t.sync")
        assert row.last_error is None and row.runs == 3
        assert clock.as_utc(row.next_run_at) > clock.now() + timedelta(minutes=50)


def test_a_signal_runs_a_periodic_job_early_and_pause_holds_it(
    own_factory: sessionmaker[Session],
) -> None:
    runs: list[float] = []
    registry = Registry()
    registry.add_periodic(
        PeriodicSpec("t.dom.job", 3600.0, lambda _c: runs.append(1), wake_on=("t.poke",))
    )

    async def main() -> None:
        runner = JobRunner(registry, _ctx(own_factory, "a"), poll=0.05)
        runner.start()
        try:
            await _until(lambda: len(runs) == 1)  # the first run, then not for an hour
            runner.pause("t.dom")
            signals.notify("t.poke")
            await asyncio.sleep(0.4)
            assert len(runs) == 1
            runner.resume("t.dom")
            signals.notify("t.poke")
            await _until(lambda: len(runs) == 2)
        finally:
            await runner.stop()

    asyncio.run(main())


# Loops ------------------------------------------------------------------------------------


class _Counter:
    def __init__(self) -> None:
        self.rounds = 0
        self.waker = Waker()
        self.closed = False

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.waker.clear()
            self.rounds += 1
            if self.rounds == 2:
                raise RuntimeError("a bug in a loop")
            await self.waker.wait(30.0)

    def wake(self) -> None:
        self.waker.wake()

    async def aclose(self) -> None:
        self.closed = True


def test_loops_are_woken_by_their_signal_restarted_after_a_crash_and_closed() -> None:
    loop = _Counter()
    registry = Registry()
    registry.add_loop(LoopSpec("t.loop", lambda _ctx: loop, wake_on=("t.work",)))
    ctx = JobContext(settings=None, factory=None, read_factory=None, worker_id="a")  # type: ignore[arg-type]

    async def main() -> None:
        runner = JobRunner(registry, ctx)
        runner.start()
        await _until(lambda: loop.rounds == 1)
        signals.notify("t.work")  # round 2 raises; the runner starts the loop again
        await _until(lambda: loop.rounds == 3, timeout=5)
        signals.notify("t.work")
        await _until(lambda: loop.rounds == 4, timeout=5)
        await runner.stop()
        signals.notify("t.work")  # no longer listened to

    asyncio.run(main())
    assert loop.closed and loop.rounds == 4


def test_registering_one_name_twice_is_refused() -> None:
    registry = Registry()
    registry.add_periodic(PeriodicSpec("t.a", 1.0, lambda _c: None))
    with pytest.raises(ValueError, match="twice"):
        registry.add_task(TaskSpec("t.a", lambda _c, _p: None))


def test_purge_keeps_recent_and_failed_jobs(own_factory: sessionmaker[Session]) -> None:
    with transaction(own_factory) as s:
        for n in range(2):
            store.schedule(s, "t.old", payload={"n": n})
        store.schedule(s, "t.dead", max_attempts=1)
    with transaction(own_factory) as s:
        for job in store.claim(s, "w", ["t.old", "t.dead"], 10, 60):
            if job.name == "t.old":
                store.finish(s, job.id, "w")
            else:
                assert store.fail(s, job, "w", "boom", 1)
    clock.advance(timedelta(days=8))
    with transaction(own_factory) as s:
        assert store.purge(s, timedelta(days=7), timedelta(days=30)) == 2
    assert [j.status for j in _jobs(own_factory)] == ["failed"]  # kept for inspection
    clock.advance(timedelta(days=30))
    with transaction(own_factory) as s:
        assert store.purge(s, timedelta(days=7), timedelta(days=30)) == 1


# Signals between processes ------------------------------------------------------------------


def test_signals_reach_other_processes_through_postgresql_and_never_echo(
    module_engine: Any,
) -> None:
    from niaga.core.jobs.pg_signals import PgSignalBridge

    if module_engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite has one process and the pipe")
    url = module_engine.url.render_as_string(hide_password=False)
    heard: list[str] = []
    here, there = PgSignalBridge(url), PgSignalBridge(url)  # as if two processes
    signals.listen("t.remote", heard.append)
    here.start()
    there.start()
    try:
        time.sleep(0.5)  # both listening
        for _ in range(20):  # a burst coalesces
            signals.notify("t.remote")
        deadline = time.monotonic() + 5
        while (here.received < 1 or there.received < 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        signals.unlisten("t.remote", heard.append)
        here.stop()
        there.stop()
    # Each bridge forwarded the local signals and heard the other's, delivering them as
    # received (not forwarded again): 20 local deliveries, then a few received ones.
    assert heard.count("t.remote") >= 21
    assert 1 <= here.received <= 20 and 1 <= there.received <= 20
