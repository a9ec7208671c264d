"""A worker killed with ``kill -9`` in the middle of a campaign: a new worker finishes it, and
every customer got the campaign exactly once.

Real processes: the web process (webhooks, API and the sandbox playing Meta) runs in this test;
``niaga worker`` runs as a child process on the same database and is killed mid-sending, while
messages are in flight. Meta's status webhooks echo each send's key, so what was in flight at
the kill is recognised as sent, and what never left is sent by the next worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select

from niaga.campaigns.models import Campaign, CampaignRecipient
from niaga.contacts import consent
from niaga.contacts.models import Contact
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.inbox.models import Message
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, free_port, make_settings, wait_for
from tests.sandbox_client import CONTROL, SandboxControl

CUSTOMERS = 240


def start_worker(server: LiveServer, log: Path) -> subprocess.Popen[bytes]:
    s = server.settings
    env = {
        **os.environ,
        "NIAGA_DATABASE_URL": s.database_url,
        "NIAGA_DATA_DIR": str(s.data_dir),
        "NIAGA_PORT": str(s.port),
        "NIAGA_WA_GRAPH_URL": f"{server.url}/sandbox",
        "NIAGA_WA_MESSAGES_PER_SECOND": "40",
        "NIAGA_CAMPAIGN_QUIET_HOURS": "",
        "NIAGA_CAMPAIGN_WINDOW_SECONDS": "1",
        "NIAGA_DISPATCH_LEASE_SECONDS": "1",
        "NIAGA_DISPATCH_IN_DOUBT_SECONDS": "3",
        "NIAGA_DISPATCH_POLL_INTERVAL": "0.1",
        "NIAGA_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "niaga", "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def test_a_worker_killed_mid_campaign_sends_nobody_twice(
    fresh_database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        fresh_database_url, free_port(), embedded_worker=False, data_dir=tmp_path / "data"
    )
    server = LiveServer(settings)
    server.start()
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    log = tmp_path / "worker.log"
    worker = start_worker(server, log)
    try:
        admin = token(factory, "admin")
        draft = {
            "name": "promo_kilat",
            "language": "id",
            "category": "MARKETING",
            "body": "Hai {{nama}}, promo kilat hari ini saja. Balas PESAN untuk order.",
            "samples": {"nama": "Siti"},
        }
        template = api(server, "POST", "/templates", admin, json=draft).json()
        assert api(server, "POST", f"/templates/{template['id']}/submit", admin).is_success
        wait_for(  # the review webhook, processed by the worker
            lambda: (
                api(server, "GET", f"/templates/{template['id']}", admin).json()["status"]
                == "APPROVED"
            ),
            timeout=30,
        )
        with transaction(factory) as s:
            for n in range(1, CUSTOMERS + 1):
                c = Contact(phone=f"+62812355{n:05d}", wa_id=f"62812355{n:05d}", display_name="Pe")
                s.add(c)
                s.flush()
                consent.do_record(s, c, granted=True, source="import", proof="daftar toko")
        campaign = api(
            server,
            "POST",
            "/campaigns",
            admin,
            json={
                "name": "Promo kilat",
                "template_id": template["id"],
                "rule": {"conditions": []},
                "params": {"nama": {"source": "first_name"}},
            },
        ).json()
        assert api(server, "POST", f"/campaigns/{campaign['id']}/schedule", admin, json={})

        def accepted() -> int:
            stats = httpx.get(f"{server.url}/sandbox/_control/stats", headers=CONTROL).json()
            return int(stats["accepted"])

        wait_for(lambda: accepted() >= CUSTOMERS // 3, timeout=60)
        worker.send_signal(signal.SIGKILL)  # mid-sending: rows claimed, requests in flight
        worker.wait(10)
        at_kill = accepted()
        assert at_kill < CUSTOMERS, "the campaign finished before the kill: nothing was tested"
        time.sleep(0.5)
        worker = start_worker(server, log)

        def finished() -> bool:
            with factory() as s:
                status = s.scalar(select(Campaign.status).where(Campaign.id == campaign["id"]))
                open_ = s.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.direction == "out", Message.status == "pending")
                )
            return status == "completed" and open_ == 0

        wait_for(finished, timeout=120)
        sb = SandboxControl(server.url)
        per_customer = Counter(m["to"] for m in sb.messages())
        assert len(per_customer) == CUSTOMERS
        assert set(per_customer.values()) == {1}, per_customer.most_common(3)
        with factory() as s:
            states = Counter(s.scalars(select(CampaignRecipient.state)))
            statuses = Counter(s.scalars(select(Message.status).where(Message.direction == "out")))
        assert states == {"sent": CUSTOMERS}
        assert set(statuses) <= {"sent", "delivered", "read"}, statuses
    finally:
        worker.kill()
        worker.wait(10)
        server.stop()
        engine.dispose()
        if log.exists() and "Traceback" in log.read_text():
            print(log.read_text()[-3000:])
