"""Dispatch: N queued messages sent by one ``niaga worker`` process through the sandbox.

Queues N text messages in a fresh database, starts a standalone sandbox (statuses off) and
one dispatcher process at a target rate, samples the sandbox's accepted count every second,
and prints the achieved rate over the steady part of the run and its error against the
target. Usage::

    python bench/dispatch.py --rate 1000 --seconds 60 --db sqlite
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from itertools import pairwise

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import CONTROL, free_port, fresh_database, niaga_process


def queue_messages(database_url: str, n: int, phone_number_id: str) -> None:
    """Insert N outbox rows (and their messages) the way the service does, in bulk."""
    from sqlalchemy import insert

    from niaga.channels.whatsapp.outgoing import TemplateMessage
    from niaga.core import clock
    from niaga.core.db import make_engine
    from niaga.outbox.models import OutboxMessage

    hello = TemplateMessage(name="hello_world", language="en_US").model_dump(mode="json")

    engine = make_engine(database_url)
    now = clock.now()
    rows = []
    for i in range(n):
        key = f"bench-{uuid.uuid4().hex}"
        to = f"62812{i % 5000:08d}"
        rows.append(
            {
                "idempotency_key": key,
                "kind": "message",
                "phone_number_id": phone_number_id,
                "recipient": to,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
                "message": hello,
            }
        )
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(OutboxMessage), rows[start : start + 5000])
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    a = ap.parse_args()
    n = a.rate * (a.seconds + 8)
    phone_number_id = "106540352242922"
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    with fresh_database(a.db) as db_url:
        queue_messages(db_url, n, phone_number_id)
        common = {
            "NIAGA_DATABASE_URL": db_url,
            "NIAGA_WA_PHONE_NUMBER_ID": phone_number_id,
            "NIAGA_WA_MESSAGES_PER_SECOND": str(a.rate),
            "NIAGA_SANDBOX_WEBHOOK_URL": "http://127.0.0.1:9/none",
        }
        with niaga_process(["sandbox"], common, "/_control/stats", port=sandbox_port):
            ctl = f"{sandbox_url}/_control"
            httpx.patch(
                f"{ctl}/config",
                json={"statuses_enabled": False, "messages_per_second": a.rate * 3},
                headers=CONTROL,
            ).raise_for_status()
            env = {**common, "NIAGA_WA_GRAPH_URL": sandbox_url, "NIAGA_SANDBOX": "0"}
            samples: list[tuple[float, int]] = []
            with niaga_process(["worker", "--no-process"], env, health_path=None) as _:
                deadline = time.monotonic() + a.seconds + 30
                while time.monotonic() < deadline:
                    accepted = int(httpx.get(f"{ctl}/stats", headers=CONTROL).json()["accepted"])
                    samples.append((time.monotonic(), accepted))
                    if accepted >= n:
                        break
                    time.sleep(1.0)
    # Steady window: skip the first 3 s (start-up) and stop before the queue runs dry.
    steady = [s for s in samples if s[1] > 0]
    steady = [s for s in steady if s[0] - steady[0][0] >= 3 and s[1] < n - a.rate][: a.seconds + 1]
    span = steady[-1][0] - steady[0][0]
    achieved = (steady[-1][1] - steady[0][1]) / span
    per_second = [(b[1] - x[1]) / (b[0] - x[0]) for x, b in pairwise(steady)]
    error = (achieved - a.rate) / a.rate * 100
    print(
        f"dispatch db={a.db} target={a.rate}/s over {span:.0f} s: achieved {achieved:.1f}/s "
        f"(error {error:+.2f}%), per-second min {min(per_second):.0f} / median "
        f"{statistics.median(per_second):.0f} / max {max(per_second):.0f}"
    )


if __name__ == "__main__":
    main()
