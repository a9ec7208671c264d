"""The jobs layer against Huey: enqueue and run rates, and what each promises.

Niaga's layer keeps delayed jobs in a table of the application's own database, so a job is
scheduled in the transaction of the change that asks for it. Huey (the house plan's first
choice) keeps them in its own storage. Both are measured on this machine: enqueue (one job
per transaction, and 100 per transaction), then the time to run them all with a no-op job.
Huey is measured only if it is installed (``pip install huey``; it is not a dependency)::

    python bench/jobs.py --n 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import fresh_database
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.core.jobs import store
from niaga.core.jobs.registry import JobContext, Registry, TaskSpec
from niaga.core.jobs.runner import JobRunner


def _niaga(url: str, n: int, runners: int) -> dict[str, float]:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    started = time.perf_counter()
    for i in range(n):
        with transaction(factory) as s:
            store.schedule(s, "bench.noop", payload={"i": i})
    single = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for chunk in range(0, n, 100):
        with transaction(factory) as s:
            for i in range(chunk, min(n, chunk + 100)):
                store.schedule(s, "bench.noop", payload={"i": i})
    batched = n / (time.perf_counter() - started)
    done = 0

    def noop(_ctx: JobContext, _payload: dict[str, Any]) -> None:
        nonlocal done
        done += 1

    registry = Registry()
    registry.add_task(TaskSpec("bench.noop", noop))

    async def run() -> float:
        pool = [
            JobRunner(
                registry,
                JobContext(None, factory, make_sessionmaker(engine, read_only=True), f"w{k}"),
                poll=0.05,
                concurrency=64,
            )
            for k in range(runners)
        ]
        t0 = time.perf_counter()
        for r in pool:
            r.start()
        while done < 2 * n:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - t0
        for r in pool:
            await r.stop()
        return elapsed

    elapsed = asyncio.run(run())
    engine.dispose()
    return {
        "enqueue/s (1 per tx)": single,
        "enqueue/s (100 per tx)": batched,
        "run/s": 2 * n / elapsed,
    }


def _huey(kind: str, n: int) -> dict[str, float] | None:
    try:
        import huey
    except ImportError:
        return None
    if kind == "redis":
        h: Any = huey.RedisHuey("niaga-bench", url="redis://127.0.0.1:6379/15")
    else:
        h = huey.SqliteHuey("niaga-bench", filename=tempfile.mktemp(suffix=".db"))
    h.flush()

    @h.task()
    def noop(i: int) -> None:
        return None

    started = time.perf_counter()
    for i in range(n):
        noop(i)
    single = n / (time.perf_counter() - started)
    consumer = h.create_consumer(workers=4, worker_type="thread", periodic=False)
    t0 = time.perf_counter()
    consumer.start()  # worker threads, without run()'s signal handlers
    while h.pending_count() > 0:
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    consumer.stop(graceful=True)
    h.flush()
    return {"enqueue/s (1 per tx)": single, "run/s": n / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    rows: list[tuple[str, dict[str, float] | None]] = []
    for kind in ("sqlite", "postgres"):
        try:
            with fresh_database(kind) as url:
                rows.append((f"niaga table queue, {kind}, 1 runner", _niaga(url, args.n, 1)))
            with fresh_database(kind) as url:
                rows.append((f"niaga table queue, {kind}, 2 runners", _niaga(url, args.n, 2)))
        except Exception as exc:  # PostgreSQL missing
            print(f"{kind}: skipped ({exc})")
    rows.append(("huey, SqliteHuey", _huey("sqlite", args.n)))
    rows.append(("huey, RedisHuey", _huey("redis", args.n)))
    for name, figures in rows:
        if figures is None:
            print(f"{name:40} not installed")
            continue
        shown = "  ".join(f"{k} {v:8,.0f}" for k, v in figures.items())
        print(f"{name:40} {shown}")


if __name__ == "__main__":
    main()
