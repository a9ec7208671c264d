"""The whole loop as a user runs it: signed webhooks from simulated customers, the default
retail rules, the dispatcher sending to the sandbox, the sandbox's statuses coming back.

Layouts: ``--db sqlite`` is the default ``niaga serve`` (worker in its child process);
``--db postgres --workers N`` is ``niaga serve`` without its worker plus N ``niaga worker``
processes. Customers first write once through the sandbox (so the sandbox knows their 24-hour
windows, as Meta would); then a burst of signed single-message webhooks is posted, as fast as
``--concurrency`` connections allow, from overlapping customers, and the bench waits until every
inbound message is fully processed (stored, and its automation trigger recorded: labels,
routing and replies queued) and every reply has its statuses back. ``--minutes`` adds a steady
phase at ``--rate`` messages/s while each process's resident memory is sampled.

Prints: webhook acks/s with p50/p99 during the burst, inbound stored/s, fully processed/s,
statuses applied/s, the backlog over time, error lines in the processes' logs, and memory.
Usage::

    python bench/pipeline.py --db sqlite --customers 1200 --messages 6000
    python bench/pipeline.py --db postgres --workers 2
    python bench/pipeline.py --db sqlite --minutes 10 --rate 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import CONTROL, fresh_database, niaga_process
from bench._webhooks import post_all, serve_env, text_webhook
from bench.automation import prepare

TEXTS = [
    "Halo kak, gamis navy ukuran L ready?",
    "Ongkirnya ke Bandung berapa kak?",
    "psnan sy blm smpe kak, udh 5 hari",
    "harga kemeja batik berapa ya",
    "kak mau pesan 2 ya, transfer ke mana?",
    "barangnya rusak pas sampai, kecewa bgt",
    "jam berapa tokonya buka?",
    "makasih kak, sudah diterima",
]


def body_for(phone: str, n: int, text: str) -> tuple[bytes, str]:
    return text_webhook(phone, f"wamid.PIPE{n:012d}", text)


def _one_row(url: str, sql: str) -> list[int]:
    """One row of numbers, read on a connection of its own."""
    from sqlalchemy import text

    from niaga.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [int(v) for v in conn.execute(text(sql)).one()]
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    """Inbound stored, inbound fully processed, replies, status events: straight from the DB."""
    row = _one_row(
        url,
        "SELECT"
        " (SELECT count(*) FROM messages WHERE direction = 'in'),"
        " (SELECT count(*) FROM messages m WHERE m.direction = 'in' AND EXISTS"
        "   (SELECT 1 FROM automation_triggers t WHERE t.message_id = m.id)),"
        " (SELECT count(*) FROM messages WHERE direction = 'out'),"
        " (SELECT count(*) FROM messages WHERE direction = 'out'"
        "   AND status IN ('read', 'delivered', 'failed')),"
        " (SELECT count(*) FROM message_status_events),"
        " (SELECT count(*) FROM automation_actions WHERE outcome = 'failed')",
    )
    keys = ("inbound", "processed", "replies", "replies_settled", "statuses", "failed_actions")
    return dict(zip(keys, row, strict=True))


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (``/proc/PID/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU time of every PostgreSQL process on this machine (server and backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def postgres_work(url: str) -> dict[str, int]:
    """The database's commits and rows written so far (``pg_stat_database``)."""
    row = _one_row(
        url,
        "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted"
        " FROM pg_stat_database WHERE datname = current_database()",
    )
    # (Rows read are left out: this bench's own progress queries count every message.)
    return dict(zip(("commits", "inserted", "updated", "deleted"), row, strict=True))


def cpu_by_process(pids: dict[str, int], db: str) -> dict[str, float]:
    out = {name: sum(cpu_seconds(p) for p in family(pid)) for name, pid in pids.items()}
    if db == "postgres":
        out["postgres"] = postgres_cpu()
    return out


def family(pid: int) -> list[int]:
    """``pid`` and its descendants (the worker child of ``niaga serve``)."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                out.extend(family(int(child)))
    except OSError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=0, help="standalone workers (postgres)")
    parser.add_argument("--customers", type=int, default=1200)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--minutes", type=float, default=0.0, help="steady phase afterwards")
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s in the steady phase")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="niaga-pipeline-"))
    with fresh_database(args.db) as url, ExitStack() as stack:
        prepare(url, args.customers)
        env = serve_env(url, NIAGA_LOG_LEVEL="warning")
        if args.workers:
            env["NIAGA_EMBEDDED_WORKER"] = "0"
        serve_log = (logs / "serve.log").open("w")
        base = stack.enter_context(niaga_process(["serve"], env, stderr=serve_log))
        pids: dict[str, int] = {"serve": base.pid}
        for i in range(args.workers):
            log = (logs / f"worker{i}.log").open("w")
            worker_env = {**env, "NIAGA_WA_GRAPH_URL": f"{base}/sandbox"}
            worker = stack.enter_context(niaga_process(["worker"], worker_env, None, stderr=log))
            pids[f"worker{i}"] = worker.pid
        phones = [f"62813{i:08d}" for i in range(args.customers)]
        control = httpx.Client(base_url=f"{base}/sandbox/_control", headers=CONTROL, timeout=60)
        httpx.patch(
            f"{base}/sandbox/_control/config",
            json={"read_probability": 1.0},
            headers=CONTROL,
            timeout=30,
        ).raise_for_status()
        print(f"warm-up: {len(phones)} customers write once through the sandbox", flush=True)
        for phone in phones:
            control.post("/customers", json={"phone": phone, "name": f"Pelanggan {phone}"})
            control.post(f"/customers/{phone}/send", json={"type": "text", "text": "Halo"})
        _wait(url, lambda c: c["processed"] >= len(phones), args.drain_timeout)
        before = counts(url)
        cpu_before = cpu_by_process(pids, args.db)
        if args.db == "postgres":
            time.sleep(1)  # pg_stat_database is updated about once a second
            work_before = postgres_work(url)
        rng = random.Random(7)
        bodies = [body_for(rng.choice(phones), n, rng.choice(TEXTS)) for n in range(args.messages)]
        print(f"burst: {args.messages} signed webhooks, {args.concurrency} connections", flush=True)
        t0 = time.monotonic()
        latencies = asyncio.run(post_all(f"{base}/webhooks/whatsapp", bodies, args.concurrency))
        acked = time.monotonic() - t0
        backlog: list[tuple[float, int]] = []
        stored_at = processed_at = settled_at = None
        target_in = before["inbound"] + args.messages
        deadline = time.monotonic() + args.drain_timeout
        while time.monotonic() < deadline:
            c = counts(url)
            now = time.monotonic() - t0
            backlog.append((now, target_in - c["processed"]))
            if stored_at is None and c["inbound"] >= target_in:
                stored_at = now
            if processed_at is None and c["processed"] >= target_in:
                processed_at = now
            if processed_at is not None and c["replies_settled"] >= c["replies"]:
                settled_at = now
                break
            time.sleep(0.5)
        after = counts(url)
        cpu_after = cpu_by_process(pids, args.db)
        if args.db == "postgres":
            time.sleep(1)
            work = postgres_work(url)
            work = {k: work[k] - work_before[k] for k in work}
        rss_first = {name: sum(rss_kib(p) for p in family(pid)) for name, pid in pids.items()}
        steady = _steady(base, url, phones, args, pids) if args.minutes else None
    print()
    lat = sorted(latencies)
    print(
        f"layout: {args.db}, {'niaga serve' if not args.workers else f'{args.workers} worker(s)'}"
    )
    print(
        f"webhook acks: {len(lat) / acked:,.0f}/s during the burst, "
        f"p50 {statistics.median(lat) * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms"
    )
    if stored_at:
        print(f"inbound stored: {args.messages / stored_at:,.0f}/s")
    if processed_at:
        print(
            f"inbound fully processed: {args.messages / processed_at:,.1f}/s ({processed_at:.1f} s)"
        )
    else:
        print(
            f"inbound fully processed: NOT DONE, {backlog[-1][1]} left after {args.drain_timeout} s"
        )
    statuses = after["statuses"] - before["statuses"]
    if settled_at:
        print(
            f"statuses applied: {statuses:,} in {settled_at:.1f} s ({statuses / settled_at:,.0f}/s)"
        )
    replies = after["replies"] - before["replies"]
    print(f"replies queued: {replies:,}; failed actions: {after['failed_actions']}")
    marks = backlog[:: max(1, len(backlog) // 20)]
    print("backlog (s: unprocessed): " + ", ".join(f"{t:.0f}: {n}" for t, n in marks))
    errors = 0
    for path in sorted(logs.glob("*.log")):
        text = path.read_text(errors="replace")
        found = sum(
            1 for line in text.splitlines() if "ERROR" in line or line.startswith("Traceback")
        )
        deadlocks = text.count("DeadlockDetected")
        errors += found
        print(f"{path.name}: {found} error lines, {deadlocks} deadlocks")
    cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
    print(
        "CPU per inbound message, burst to settled (ms): "
        + ", ".join(f"{k} {v / args.messages * 1000:.2f}" for k, v in cpu.items())
        + f"; total {sum(cpu.values()) / args.messages * 1000:.2f}"
    )
    if args.db == "postgres":
        print(
            "PostgreSQL per inbound message: "
            + ", ".join(f"{k} {v / args.messages:.1f}" for k, v in work.items())
        )
    print(f"resident memory after the burst (KiB): {rss_first}")
    if steady:
        print(steady)
    print(f"logs: {logs}")
    sys.exit(1 if errors or not processed_at else 0)


def _wait(url: str, done: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done(counts(url)):  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise RuntimeError("not processed in time")


def _steady(base: str, url: str, phones: list[str], args: argparse.Namespace, pids: dict) -> str:
    """``--minutes`` at ``--rate``: memory at the first minute and at the end, per process."""
    rng = random.Random(11)
    n = 10_000_000
    first: dict[str, int] = {}
    end = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        while time.monotonic() < end:
            tick = time.monotonic()
            for _ in range(int(args.rate)):
                body, sig = body_for(rng.choice(phones), n, rng.choice(TEXTS))
                n += 1
                client.post(
                    f"{base}/webhooks/whatsapp",
                    content=body,
                    headers={"content-type": "application/json", "x-hub-signature-256": sig},
                )
            if not first and time.monotonic() - started >= 60:
                first = {k: sum(rss_kib(p) for p in family(v)) for k, v in pids.items()}
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    last = {k: sum(rss_kib(p) for p in family(v)) for k, v in pids.items()}
    growth = {
        k: f"{(last[k] - first.get(k, last[k])) / max(1, first.get(k, 1)) * 100:+.1f} %"
        for k in last
    }
    lag = counts(url)
    return (
        f"steady {args.minutes} min at {args.rate}/s: memory after 1 min {first} KiB, at the end "
        f"{last} KiB, growth {growth}; unprocessed at the end: {lag['inbound'] - lag['processed']}"
    )


if __name__ == "__main__":
    main()
