"""A year of a busy shop, read as the owner reads it.

Seeds 10 million messages (customers' texts; the business's replies and templates with their
statuses, Meta's failures and billable pricing), 1 million orders, first-response samples and
ratings over the last 365 days, then prints:

- the rollups cut from scratch (``niaga analytics rebuild``'s work);
- the monthly report (last month against the month before, with the return on WhatsApp);
- under the default ``niaga serve`` (worker, rollups refreshed every 5 s): the dashboard page
  and the summary API for a month; status webhooks at ``--status-rate`` per second for today's
  messages and how far the rollups fall behind; an export of about 1 million messages streamed
  through the API, with the web process's peak resident memory.

    python bench/analytics.py --db postgres
    python bench/analytics.py --db sqlite --messages 1000000 --orders 100000   # smaller

``--keep`` leaves the seeded database in place and prints its URL; ``--url`` reuses it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import fresh_database, niaga_process
from bench._webhooks import PHONE_NUMBER_ID, SECRET, serve_env
from niaga.analytics.rollups import local_day
from niaga.channels.whatsapp.signature import sign

ZONE = "Asia/Jakarta"
PASSWORD = "bench-owner-password-123"
TEXTS = ("Halo kak, masih ada?", "Berapa ongkirnya ke Bandung?", "Oke kak terima kasih 🙏", None)
ERRORS = (131026, 131049, 131047, 130472)
SOURCES = ("conversation",) * 14 + ("click_to_chat",) * 3 + ("campaign",) * 2 + ("ad",)
BATCH = 20_000
TODAY_SENT = 60_000  # today's messages still "sent": the status webhooks' targets


def seed(url: str, messages: int, orders: int, customers: int) -> str:
    """The year's records, an owner who signs in and an owner's API token."""
    from sqlalchemy import insert

    from niaga.automation.models import CsatSurvey, ResponseSample
    from niaga.contacts.models import Contact
    from niaga.core.db import make_engine, make_sessionmaker, transaction
    from niaga.inbox.models import Conversation, Message
    from niaga.orders.models import Order
    from niaga.security.tokens import do_create_token
    from niaga.security.users import do_create_user

    rng = random.Random(11)
    engine = make_engine(url)
    now = datetime.now(UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    started = time.monotonic()
    with transaction(make_sessionmaker(engine)) as s:
        for n in range(3):
            do_create_user(
                s,
                email=f"agent{n}@toko.test",
                name=f"Agen {n}",
                password=PASSWORD,
                role="owner" if n == 0 else "agent",
            )
        _, secret = do_create_token(s, name="bench", role="owner")
    with engine.begin() as conn:
        for start in range(0, customers, BATCH):
            rows = [
                {
                    "phone": f"+62857{i:08d}",
                    "wa_id": f"62857{i:08d}",
                    "display_name": f"Pelanggan {i}",
                    "attributes": {},
                    "marketing_opt_out": False,
                    "created_at": year_ago,
                    "updated_at": year_ago,
                }
                for i in range(start + 1, min(customers, start + BATCH) + 1)
            ]
            conn.execute(insert(Contact), rows)
        for start in range(0, customers, BATCH):
            conn.execute(
                insert(Conversation),
                [
                    {
                        "contact_id": i,
                        "phone_number_id": PHONE_NUMBER_ID,
                        "status": "open",
                        "unread_count": 0,
                        "created_at": year_ago,
                        "updated_at": year_ago,
                    }
                    for i in range(start + 1, min(customers, start + BATCH) + 1)
                ],
            )
    print(f"customers: {customers:,} in {time.monotonic() - started:.0f} s", flush=True)
    span = (now - timedelta(hours=2) - year_ago).total_seconds()
    billable = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
    written = 0
    t0 = time.monotonic()
    while written < messages:
        n = min(BATCH, messages - written)
        rows = []
        for k in range(n):
            i = written + k
            at = year_ago + timedelta(seconds=span * i / messages)
            chat = rng.randint(1, customers)
            if rng.random() < 0.45:
                rows.append(_message(i, chat, at, "in", "text", "received", rng))
                continue
            template = rng.random() < 0.2
            roll = rng.random()
            status = (
                "read"
                if roll < 0.6
                else "delivered"
                if roll < 0.85
                else "sent"
                if roll < 0.95
                else "failed"
            )
            row = _message(i, chat, at, "out", "template" if template else "text", status, rng)
            if template and status != "failed":
                row["pricing"] = billable
            if status == "failed":
                row["error_code"] = rng.choice(ERRORS)
            if not template:
                row["sent_by_user_id"] = rng.randint(1, 3)
                row["origin"] = "agent"
            rows.append(row)
        with engine.begin() as conn:
            conn.execute(insert(Message), rows)
        written += n
        if written % 1_000_000 < BATCH:
            rate = written / (time.monotonic() - t0)
            print(f"  messages: {written:,} ({rate:,.0f}/s)", flush=True)
    with engine.begin() as conn:  # today's sends still waiting for Meta's statuses
        for start in range(0, TODAY_SENT, BATCH):
            conn.execute(
                insert(Message),
                [
                    _message(
                        messages + i,
                        rng.randint(1, customers),
                        now - timedelta(seconds=3600 * (TODAY_SENT - i) / TODAY_SENT),
                        "out",
                        "template",
                        "sent",
                        rng,
                        wamid=f"wamid.TODAY{i}",
                    )
                    for i in range(start, min(TODAY_SENT, start + BATCH))
                ],
            )
    print(f"messages: {messages + TODAY_SENT:,} in {time.monotonic() - t0:.0f} s", flush=True)
    t0 = time.monotonic()
    for start in range(0, orders, BATCH):
        rows = []
        for i in range(start, min(orders, start + BATCH)):
            at = year_ago + timedelta(seconds=span * i / orders)
            total = rng.randrange(50, 500) * 1000
            rows.append(
                {
                    "number": 100_000 + i,
                    "contact_id": rng.randint(1, customers),
                    "status": "dibatalkan" if rng.random() < 0.05 else "selesai",
                    "payment_status": "dibayar",
                    "currency": "IDR",
                    "subtotal": total,
                    "shipping_fee": 0,
                    "discount": 0,
                    "total": total,
                    "source": rng.choice(SOURCES),
                    "attribution": {},
                    "created_at": at,
                    "updated_at": at,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(Order), rows)
    samples = orders // 2
    with engine.begin() as conn:
        for start in range(0, samples, BATCH):
            conn.execute(
                insert(ResponseSample),
                [
                    {
                        "conversation_id": rng.randint(1, customers),
                        "user_id": rng.randint(1, 3),
                        "message_id": i + 1,
                        "seconds": rng.expovariate(1 / 3600),
                        "created_at": year_ago + timedelta(seconds=span * i / samples),
                    }
                    for i in range(start, min(samples, start + BATCH))
                ],
            )
            conn.execute(
                insert(CsatSurvey),
                [
                    {
                        "conversation_id": c,
                        "contact_id": c,
                        "asked_at": at,
                        "answered_at": at + timedelta(minutes=5),
                        "rating": rng.choice((5, 5, 4, 4, 3, 2, 1)),
                    }
                    for i in range(start, min(samples, start + BATCH), 5)
                    for c, at in [
                        (
                            rng.randint(1, customers),
                            year_ago + timedelta(seconds=span * i / samples),
                        )
                    ]
                ],
            )
    print(f"orders: {orders:,}, samples {samples:,} in {time.monotonic() - t0:.0f} s", flush=True)
    engine.dispose()
    return secret


def _message(
    i: int,
    chat: int,
    at: datetime,
    direction: str,
    kind: str,
    status: str,
    rng: random.Random,
    wamid: str | None = None,
) -> dict[str, Any]:
    return {
        "conversation_id": chat,
        "contact_id": chat,
        "direction": direction,
        "wamid": wamid or f"wamid.B{i}",
        "type": kind,
        "text": rng.choice(TEXTS) if direction == "in" else None,
        "content": {},
        "forwarded": False,
        "status": status,
        "origin": "customer" if direction == "in" else "campaign",
        "sent_by_user_id": None,
        "pricing": None,
        "error_code": None,
        "created_at": at,
        "received_at": at,
    }


def timed(fn: Any, runs: int = 5) -> tuple[float, Any]:
    """The median wall time of ``runs`` calls, in ms, and the last result."""
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def report_figures(url: str, rebuild: bool = True) -> None:
    """The rollups from scratch, and the monthly report in process."""
    from niaga.analytics import report, rollups
    from niaga.analytics.periods import period_of
    from niaga.core.config import get_settings
    from niaga.core.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    if rebuild:
        t = time.monotonic()
        days = rollups.rebuild(factory, ZONE)
        print(f"rollups rebuilt: {len(days)} days in {time.monotonic() - t:.1f} s", flush=True)
    today = rollups.local_day(datetime.now(UTC), ZONE)
    month = period_of("month", today.replace(day=1) - timedelta(days=1), ZONE)
    settings = get_settings()
    with factory() as s:
        ms, out = timed(lambda: report.build(s, month, settings=settings))
        sent = next(f for f in out["figures"] if f["key"] == "sent")["value"]
        print(f"monthly report ({month.label()}, {sent:,.0f} sent): {ms:.0f} ms median", flush=True)
        ms, _ = timed(lambda: report.build(s, period_of("week", today, ZONE), settings=settings))
        print(f"weekly report: {ms:.0f} ms median", flush=True)
    engine.dispose()


def status_bodies(n: int, per_body: int) -> list[tuple[bytes, str]]:
    """Meta's 'delivered' statuses for today's sends, ``per_body`` per webhook."""
    ts = str(int(time.time()))
    out = []
    for start in range(0, n, per_body):
        statuses = [
            {
                "id": f"wamid.TODAY{i}",
                "status": "delivered",
                "timestamp": ts,
                "recipient_id": "6285700000001",
                "pricing": {"billable": True, "pricing_model": "PMP", "category": "marketing"},
            }
            for i in range(start, min(n, start + per_body))
        ]
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "6281100000000",
                "phone_number_id": PHONE_NUMBER_ID,
            },
            "statuses": statuses,
        }
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}
                ],
            }
        ).encode()
        out.append((body, sign(body, SECRET)))
    return out


async def post_at(url: str, bodies: list[tuple[bytes, str]], per_second: float) -> float:
    """Post the bodies at an even pace; the seconds it took."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        for k, (body, signature) in enumerate(bodies):
            wait = started + k / per_second - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            async with http.post(
                f"{url}/webhooks/whatsapp",
                data=body,
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
            ) as r:
                assert r.status == 200, await r.text()
    return time.monotonic() - started


def reset_today(url: str) -> None:
    """A reused database: today's sends back to 'sent' without their status events, so the
    status webhooks move them again."""
    from sqlalchemy import delete, update

    from niaga.core.db import make_engine, make_sessionmaker, transaction
    from niaga.inbox.models import Message, MessageStatusEvent

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        s.execute(update(Message).where(Message.wamid.like("wamid.TODAY%")).values(status="sent"))
        s.execute(delete(MessageStatusEvent).where(MessageStatusEvent.wamid.like("wamid.TODAY%")))
    engine.dispose()


def delivered_today(url: str) -> tuple[int, int]:
    """Today's delivered count in the raw records and in the rollups."""
    from sqlalchemy import func, select

    from niaga.analytics import rollups
    from niaga.analytics.periods import period_of
    from niaga.core.db import make_engine, make_sessionmaker
    from niaga.inbox.models import Message

    engine = make_engine(url)
    today = period_of("day", rollups.local_day(datetime.now(UTC), ZONE), ZONE)
    with make_sessionmaker(engine)() as s:
        raw = s.scalar(
            select(func.count()).where(
                Message.direction == "out",
                Message.status.in_(("delivered", "read")),
                Message.created_at >= today.start,
                Message.created_at < today.end,
            )
        )
        rolled = rollups.sums(s, today.first, today.last)["delivered", ""]
    engine.dispose()
    return int(raw or 0), int(rolled)


def rss_mb(pid: int) -> float:
    """The process's resident memory now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_figures(url: str, token: str, status_rate: int, status_seconds: int) -> None:
    """The dashboard, the API, statuses at a pace and an export, under ``niaga serve``."""
    with niaga_process(["serve"], serve_env(url)) as base:
        web = httpx.Client(base_url=base, timeout=600, headers={"Accept": "text/html"})
        page = web.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = web.post(
            "/login",
            data={"email": "agent0@toko.test", "password": PASSWORD, "csrf_token": csrf},
        )
        assert r.status_code == 303, r.text
        api = httpx.Client(
            base_url=f"{base}/api/v1", timeout=600, headers={"Authorization": f"Bearer {token}"}
        )
        time.sleep(6)  # the worker's first rollup round
        ms, r = timed(lambda: web.get("/analytics", params={"period": "month"}), runs=9)
        assert r.status_code == 200, r.text[:500]
        print(f"dashboard page (this month): {ms:.0f} ms median", flush=True)
        last_month = (
            local_day(datetime.now(UTC), ZONE).replace(day=1) - timedelta(days=1)
        ).isoformat()
        for label, params in (
            ("last month", {"period": "month", "date": last_month}),
            ("this week", {"period": "week"}),
        ):
            ms, r = timed(lambda params=params: web.get("/analytics", params=params), runs=9)
            assert r.status_code == 200, r.text[:500]
            print(f"dashboard page ({label}): {ms:.0f} ms median", flush=True)
        ms, r = timed(lambda: api.get("/analytics/summary", params={"period": "month"}), runs=9)
        assert r.status_code == 200, r.text[:500]
        print(f"summary API (a month): {ms:.0f} ms median", flush=True)
        for by in ("team", "label", "campaign", "template", "segment", "source"):
            ms, r = timed(
                lambda by=by: api.get("/analytics/breakdown", params={"by": by, "period": "month"}),
                runs=3,
            )
            assert r.status_code == 200, r.text[:500]
            print(f"  split by {by} (a month): {ms:.0f} ms median", flush=True)

        per_body = 50
        n = min(TODAY_SENT, status_rate * status_seconds)
        bodies = status_bodies(n, per_body)
        took = asyncio.run(post_at(base, bodies, status_rate / per_body))
        print(f"statuses posted: {n:,} in {took:.1f} s ({n / took:,.0f}/s)", flush=True)
        posted = time.monotonic()
        while True:
            raw, rolled = delivered_today(url)
            if raw >= n and rolled == raw:
                break
            if time.monotonic() - posted > 120:
                print(f"  rollups behind after 120 s: raw {raw:,}, rolled {rolled:,}")
                break
            time.sleep(0.5)
        print(
            f"rollups caught up {time.monotonic() - posted:.1f} s after the last status "
            f"(today's delivered: {raw:,} raw, {rolled:,} rolled up)",
            flush=True,
        )
        last = local_day(datetime.now(UTC), ZONE) - timedelta(days=1)
        first = last - timedelta(days=36)
        before = rss_mb(base.pid)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], rss_mb(base.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t = time.monotonic()
        rows = 0
        with api.stream(
            "GET", "/analytics/exports/messages", params={"first": str(first), "last": str(last)}
        ) as r:
            assert r.status_code == 200
            for chunk in r.iter_bytes():
                rows += chunk.count(b"\n")
        done.set()
        sampler.join()
        print(
            f"export of {rows - 1:,} messages (CSV): {time.monotonic() - t:.1f} s, web process "
            f"resident {before:.0f} MB before, {peak[0]:.0f} MB at most during it",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--messages", type=int, default=10_000_000)
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--status-rate", type=int, default=3000)
    ap.add_argument("--status-seconds", type=int, default=20)
    ap.add_argument("--keep", action="store_true", help="keep the seeded database")
    ap.add_argument("--url", help="a database seeded by an earlier --keep run")
    ap.add_argument("--token", help="its API token (printed by that run)")
    ap.add_argument("--no-rebuild", action="store_true", help="with --url: keep its rollups")
    a = ap.parse_args()
    if a.url:
        report_figures(a.url, rebuild=not a.no_rebuild)
        reset_today(a.url)
        serve_figures(a.url, a.token, a.status_rate, a.status_seconds)
        return
    with fresh_database(a.db, keep=a.keep) as url:
        token = seed(url, a.messages, a.orders, a.customers)
        if a.keep:
            print(f"token {token}")
        report_figures(url)
        serve_figures(url, token, a.status_rate, a.status_seconds)


if __name__ == "__main__":
    main()
