"""Campaign: N consenting customers, one approved template, the default ``niaga serve``
(processing, automation, the dispatcher and the embedded sandbox sending statuses back), with
Meta's faults injected (130429, 131049 by webhook, 5xx, timeouts, duplicated and reordered
webhooks).

Prints: the time to write the recipient list, the send rate against the configured rate over
the steady part, the status lag after the last send, peak memory (RSS high-water mark) of the
web process and the worker child, duplicates (sends the sandbox accepted beyond one per
recipient) and whether every recipient reached a final state. Usage::

    python bench/campaign.py --recipients 100000 --rate 1000 --db postgres
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._server import CONTROL, free_port, fresh_database, niaga_process

FAULTS = {
    "error_rates": {"130429": 0.01},
    "http_5xx_rate": 0.005,
    "timeout_rate": 0.002,
    "timeout_seconds": 2.0,
    "async_failure_rate": 0.003,  # 131049 by webhook (Meta's per-user marketing limit)
    "webhook_duplicate_rate": 0.05,
    "webhook_reorder": True,
    "read_probability": 0.6,
    "pair_rate_enabled": False,
}


def seed(database_url: str, n: int) -> str:
    """N customers with marketing consent, an approved template, an owner's API token."""
    from sqlalchemy import insert, select

    from niaga.contacts.models import ConsentEvent, Contact
    from niaga.core import clock
    from niaga.core.db import make_engine, make_sessionmaker, transaction
    from niaga.core.migrate import upgrade
    from niaga.security.tokens import do_create_token

    upgrade(database_url)
    engine = make_engine(database_url)
    now = clock.now()
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            rows = [
                {
                    "phone": f"+62813{i:08d}",
                    "wa_id": f"62813{i:08d}",
                    "display_name": f"Pelanggan {i}",
                    "attributes": {"kota": "Jakarta"},
                    "marketing_opt_out": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start + 1, min(n, start + 5000) + 1)
            ]
            conn.execute(insert(Contact), rows)
        ids = [r[0] for r in conn.execute(select(Contact.id))]
        for start in range(0, len(ids), 5000):
            conn.execute(
                insert(ConsentEvent),
                [
                    {
                        "contact_id": i,
                        "purpose": "marketing",
                        "granted": True,
                        "source": "import",
                        "proof": "bench",
                        "at": now,
                    }
                    for i in ids[start : start + 5000]
                ],
            )
    with transaction(make_sessionmaker(engine)) as s:
        _, secret = do_create_token(s, name="bench", role="owner")
    engine.dispose()
    return secret


def peak_rss_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak resident memory) of the web process and of each of its children."""
    out: dict[str, float] = {}
    for name, p in [("web", pid), *(("worker", c) for c in _children(pid))]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[name] = max(out.get(name, 0.0), int(line.split()[1]) / 1024)
        except OSError:
            continue
    return out


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--recipients", type=int, default=100_000)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument(
        "--separate-sandbox",
        action="store_true",
        help="Meta's stand-in in a process of its own (``niaga sandbox``), as Meta is in "
        "production: the web process's memory and CPU are then Niaga's alone",
    )
    a = ap.parse_args()
    n = a.recipients
    with fresh_database(a.db) as db_url:
        token = seed(db_url, n)
        env = {
            "NIAGA_DATABASE_URL": db_url,
            "NIAGA_WA_MESSAGES_PER_SECOND": str(a.rate),
            "NIAGA_CAMPAIGN_QUIET_HOURS": "",
            "NIAGA_WA_MESSAGING_LIMIT": "0",
            # A number of Meta's unlimited tier: the campaign runs at the throughput rate alone.
            "NIAGA_SANDBOX_MESSAGING_LIMIT_TIER": "TIER_UNLIMITED",
            "NIAGA_SANDBOX_CUSTOMERS": "0",
        }
        with ExitStack() as stack:
            if a.separate_sandbox:
                port = free_port()
                meta = stack.enter_context(
                    niaga_process(
                        ["sandbox"],
                        {
                            **env,
                            "NIAGA_SANDBOX_WEBHOOK_URL": f"http://127.0.0.1:{port}/webhooks/whatsapp",
                        },
                        health_path="/_control/stats",
                    )
                )
                env |= {"NIAGA_SANDBOX": "0", "NIAGA_WA_GRAPH_URL": str(meta)}
                url = stack.enter_context(niaga_process(["serve"], env, port=port))
                ctl = f"{meta}/_control"
            else:
                url = stack.enter_context(niaga_process(["serve"], env))
                ctl = f"{url}/sandbox/_control"
            api = httpx.Client(
                base_url=f"{url}/api/v1", timeout=60, headers={"Authorization": f"Bearer {token}"}
            )
            httpx.patch(
                f"{ctl}/config",
                headers=CONTROL,
                timeout=10,
                json={
                    # Meta's stand-in keeps a short log: the web process's memory is Niaga's.
                    "max_log": 2000,
                    "messages_per_second": a.rate * 3,
                    "template_review_seconds": 0.1,
                    **({} if a.no_faults else FAULTS),
                },
            ).raise_for_status()
            template = api.post(
                "/templates",
                json={
                    "name": "bench_promo",
                    "language": "id",
                    "category": "MARKETING",
                    "body": "Hai {{nama}}! Diskon 20% untuk semua gamis minggu ini.",
                    "samples": {"nama": "Siti"},
                },
            ).json()
            api.post(f"/templates/{template['id']}/submit").raise_for_status()
            while api.get(f"/templates/{template['id']}").json()["status"] != "APPROVED":
                time.sleep(0.2)
            campaign = api.post(
                "/campaigns",
                json={
                    "name": "Bench",
                    "template_id": template["id"],
                    "rule": {
                        "conditions": [{"field": "attribute", "key": "kota", "value": "Jakarta"}]
                    },
                    "params": {"nama": {"source": "first_name"}},
                },
            ).json()
            started = time.monotonic()
            api.post(f"/campaigns/{campaign['id']}/schedule", json={}).raise_for_status()
            built_at = None
            samples: list[tuple[float, int]] = []
            last_send = None
            report: dict[str, Any] = {}
            # Generous: below the target rate the sending itself takes longer, and the point
            # is to see every recipient reach a final state.
            while time.monotonic() - started < n / a.rate * 3 + n / 100 + 300:
                got = api.get(f"/campaigns/{campaign['id']}").json()
                report = got["report"]
                if built_at is None and report["recipients"] >= n:
                    built_at = time.monotonic() - started
                accepted = int(httpx.get(f"{ctl}/stats", headers=CONTROL).json()["accepted"])
                samples.append((time.monotonic(), accepted))
                if report["queued"] == 0 and got["status"] == "completed" and last_send is None:
                    last_send = time.monotonic()
                final = report["delivered"] + sum(report["failed"].values())
                if last_send is not None and final >= report["sent"]:
                    break
                time.sleep(1.0)
            lag = time.monotonic() - last_send if last_send else float("nan")
            memory = peak_rss_mb(url.pid)  # type: ignore[attr-defined]
            if a.separate_sandbox:
                memory["sandbox"] = peak_rss_mb(meta.pid)["web"]  # type: ignore[attr-defined]
    moving = [s for s in samples if 0 < s[1] < n * 0.98]
    steady = moving[3:]
    rates = [(b[1] - x[1]) / (b[0] - x[0]) for x, b in pairwise(steady)] or [0.0]
    achieved = (
        (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0])
        if len(steady) > 1
        else float("nan")
    )
    peaks = ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items())
    duplicates = max(0, samples[-1][1] - report["sent"]) if samples else -1
    print(
        f"campaign db={a.db} recipients={n} target={a.rate}/s faults={not a.no_faults}: "
        f"recipient list {built_at or float('nan'):.1f} s; sent {report.get('sent')} "
        f"at {achieved:.0f}/s (error {(achieved - a.rate) / a.rate * 100:+.1f}%, per-second "
        f"median {statistics.median(rates):.0f}); status lag {lag:.1f} s; "
        f"peak memory {peaks}; accepted beyond one per recipient {duplicates}; "
        f"delivered {report.get('delivered')}, read {report.get('read')}, "
        f"failed {report.get('failed')}, skipped {report.get('skipped')}, "
        f"queued {report.get('queued')}"
    )


if __name__ == "__main__":
    main()
