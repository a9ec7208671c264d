"""What the points ledger costs at a shop's size: ``--customers`` customers with ``--entries``
ledger entries between them (earned over 18 months, some redeemed), then

- awards per second (one order's points, each in its own transaction, as "selesai" does),
- the answer to "POIN" (balance, level, expiring points, history) p50 / p95,
- the first expiry pass over everyone, then the next hour's pass,
- the members page's query (top 100 by balance),
- 50 simultaneous claims of one code (exactly one may win)::

    python bench/loyalty.py --db sqlite --customers 20000 --entries 400000
    python bench/loyalty.py --db postgres --customers 20000 --entries 400000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import insert

from bench._server import fresh_database
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.loyalty import codes, earning, jobs, queries, rewards
from niaga.loyalty.models import LoyaltyAccount
from niaga.loyalty.models import LoyaltyEntry as Entry


def _seed(factory: object, customers: int, entries: int) -> list[int]:
    now = clock.now()
    with transaction(factory) as s:  # type: ignore[arg-type]
        s.execute(
            insert(Contact),
            [{"wa_id": f"62813{i:08d}", "phone": f"+62813{i:08d}"} for i in range(customers)],
        )
    with factory() as s:  # type: ignore[operator]
        ids = list(s.scalars(Contact.__table__.select().with_only_columns(Contact.id)))
    rng = random.Random(7)
    with transaction(factory) as s:  # type: ignore[arg-type]
        s.execute(
            insert(LoyaltyAccount),
            [{"contact_id": c, "referral_code": f"REF-{c:06d}", "created_at": now} for c in ids],
        )
        rows = []
        for _ in range(entries):
            made = now - timedelta(days=rng.randint(0, 540))
            rows.append(
                {
                    "contact_id": rng.choice(ids),
                    "kind": "earned",
                    "points": rng.randint(5, 60),
                    "source": "spend",
                    "expires_at": made + timedelta(days=365),
                    "created_at": made,
                }
            )
            if len(rows) == 20_000:
                s.execute(insert(Entry), rows)
                rows = []
        if rows:
            s.execute(insert(Entry), rows)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=400_000)
    parser.add_argument("--awards", type=int, default=2000)
    args = parser.parse_args()
    with fresh_database(args.db) as url:
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        started = time.perf_counter()
        ids = _seed(factory, args.customers, args.entries)
        print(
            f"seeded {args.customers} customers, {args.entries} entries in "
            f"{time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        for n in range(args.awards):
            with transaction(factory) as s:
                earning.do_award(s, ids[n % len(ids)], "spend", f"bench:{n}", amount=250_000)
        rate = args.awards / (time.perf_counter() - started)
        print(f"awards: {rate:,.0f}/s (one transaction each)")

        times = []
        for n in range(300):
            with factory() as s:
                t = time.perf_counter()
                queries.summary(s, ids[(n * 7919) % len(ids)], history=5)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(
            f"POIN summary: p50 {statistics.median(times):.1f} ms, "
            f"p95 {times[int(len(times) * 0.95)]:.1f} ms"
        )

        started = time.perf_counter()
        total = jobs.expire(factory)
        print(
            f"expiry, first pass: {total:,} points expired in {time.perf_counter() - started:.1f} s"
        )
        clock.advance(timedelta(hours=1))
        started = time.perf_counter()
        total = jobs.expire(factory)
        clock.reset()
        print(f"expiry, an hour later: {total:,} points in {time.perf_counter() - started:.2f} s")

        started = time.perf_counter()
        with factory() as s:
            queries.members(s, limit=100)
        print(f"members page (top 100): {(time.perf_counter() - started) * 1000:.0f} ms")

        with transaction(factory) as s:
            reward = rewards.do_save(
                s,
                rewards.RewardIn(
                    name="Diskon", kind="discount_amount", value=10_000, cost_points=1
                ),
            )
            code = rewards.do_redeem(s, ids[0], reward.id).code
        wins: list[bool] = []
        barrier = threading.Barrier(50)

        def claim(n: int) -> None:
            barrier.wait()
            with transaction(factory) as s:
                got = codes.do_claim(s, code, contact_id=ids[0], order_id=None, actor=f"b{n}")  # type: ignore[arg-type]
                wins.append(got.refusal is None)

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(f"50 simultaneous claims of one code: {sum(wins)} won")
        engine.dispose()


if __name__ == "__main__":
    main()
