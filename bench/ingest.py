"""Webhook ingest: N signed single-event webhooks posted concurrently over loopback.

Prints events/s and p50/p99 latency of durably acknowledged events (each 200 means the body
was committed). The server is a real ``niaga serve`` subprocess (one process, uvloop), the
client one or more aiohttp processes. Usage::

    python bench/ingest.py --db sqlite --n 40000 --concurrency 64 --clients 2
    python bench/ingest.py --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import time
from contextlib import ExitStack

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import fresh_database, niaga_process
from bench._webhooks import SECRET, text_webhook
from bench._webhooks import post_all as _client


def _bodies(offset: int, n: int) -> list[tuple[bytes, str]]:
    return [
        text_webhook(
            f"62812{i % 500:08d}",
            f"wamid.BENCH{i:012d}",
            f"Halo kak, pesanan nomor {i} sudah dikirim?",
            name=f"Pelanggan {i % 500}",
        )
        for i in range(offset, offset + n)
    ]


def _client_proc(
    url: str, offset: int, n: int, concurrency: int, start_at: float, out: mp.Queue
) -> None:
    bodies = _bodies(offset, n)
    time.sleep(max(0.0, start_at - time.time()))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    t0 = time.time()
    lat = asyncio.run(_client(url, bodies, concurrency))
    out.put((t0, time.time(), lat))


def run(
    db: str, n: int, concurrency: int, clients: int, warmup: int, processing: str = "off"
) -> dict[str, float]:
    with fresh_database(db) as url, ExitStack() as stack:
        env = {
            "NIAGA_DATABASE_URL": url,
            "NIAGA_WA_APP_SECRET": SECRET,
            "NIAGA_EMBEDDED_WORKER": "1" if processing == "embedded" else "0",
            "NIAGA_EMBEDDED_DISPATCH": "0",
            "NIAGA_SANDBOX": "0",
        }
        base = stack.enter_context(niaga_process(["serve"], env))
        if processing == "worker":
            stack.enter_context(niaga_process(["worker", "--no-dispatch"], env, health_path=None))
        target = f"{base}/webhooks/whatsapp"
        if warmup:
            asyncio.run(_client(target, _bodies(10_000_000, warmup), concurrency))
        q: mp.Queue = mp.Queue()
        per = n // clients
        start_at = time.time() + 2.0
        procs = [
            mp.Process(
                target=_client_proc,
                args=(target, i * per, per, concurrency // clients or 1, start_at, q),
            )
            for i in range(clients)
        ]
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
    begin = min(r[0] for r in results)
    end = max(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    return {
        "events": len(lat),
        "seconds": end - begin,
        "events_per_s": len(lat) / (end - begin),
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--n", type=int, default=40_000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument(
        "--processing",
        choices=["off", "embedded", "worker"],
        default="off",
        help="also parse and apply the webhooks while ingesting: inside the web process, "
        "or in a separate `niaga worker` process",
    )
    a = ap.parse_args()
    r = run(a.db, a.n, a.concurrency, a.clients, a.warmup, a.processing)
    print(
        f"ingest db={a.db} processing={a.processing} n={r['events']} "
        f"concurrency={a.concurrency} clients={a.clients}: "
        f"{r['events_per_s']:.0f} events/s durably acknowledged, "
        f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
