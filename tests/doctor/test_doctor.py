"""``niaga doctor`` and the status page against the sandbox, each fault injected the way Meta
would show it: an expired token, unsubscribed webhooks, a red quality rating, a paused
template, a wrong clock, and Meta's account notifications (shown and told to the owner)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from niaga.channels.whatsapp.models import AccountEvent
from niaga.core import clock
from niaga.core.db import transaction
from niaga.doctor import service
from niaga.doctor.findings import Finding
from niaga.incidents import alerts
from niaga.incidents.models import SecurityAlert
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import api, token, wait_template
from tests.conftest import LiveServer, wait_for
from tests.factories import post_signed
from tests.sandbox_client import CONTROL
from tests.web.web_helpers import csrf, login, make_user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"


def findings(niaga: LiveServer) -> dict[str, Finding]:
    found = asyncio.run(service.run(niaga.settings, niaga.app.state.engine))
    return {f.key: f for f in found}


def sandbox(niaga: LiveServer, **knobs: Any) -> None:
    r = httpx.patch(f"{niaga.url}/sandbox/_control/config", json=knobs, headers=CONTROL)
    assert r.status_code == 200, r.text


def test_a_healthy_shop_passes(niaga: LiveServer, factory: Any) -> None:
    found = findings(niaga)
    for key in (
        "token",
        "registration",
        "display_name",
        "quality",
        "webhook_subscription",
        "clock",
        "database",
        "redis",
        "disk",
        "backlog_webhooks",
        "backlog_outbox",
        "templates",
    ):
        assert found[key].status == "ok", (key, found[key])
    assert found["quality"].params == {"quality": "GREEN", "limit": "1,000"}
    assert found["release"].status == "info"  # no release feed configured: said so


def test_each_fault_is_named_with_its_fix(niaga: LiveServer, factory: Any) -> None:
    sandbox(niaga, token_valid=False)
    found = findings(niaga)
    assert found["token"].status == "fail"
    assert "niaga secrets set wa_access_token" in found["token"].fix
    assert "registration" not in found  # nothing else can be asked with a dead token
    sandbox(niaga, token_valid=True, token_scopes=["whatsapp_business_messaging"])
    found = findings(niaga)
    assert found["token"].status == "fail" and "management" in found["token"].params["missing"]

    sandbox(
        niaga,
        token_scopes=["whatsapp_business_messaging", "whatsapp_business_management"],
        quality_rating="RED",
        name_status="DECLINED",
        messaging_limit_tier="TIER_250",
    )
    found = findings(niaga)
    assert found["quality"].status == "fail" and "Pause marketing" in found["quality"].fix
    assert found["quality"].params["limit"] == "250"
    assert found["display_name"].status == "fail"
    sandbox(niaga, quality_rating="YELLOW", name_status="PENDING_REVIEW")
    found = findings(niaga)
    assert found["quality"].status == "warn" and found["display_name"].status == "warn"

    # The clock: five minutes wrong.
    clock.advance(timedelta(minutes=5))
    try:
        found = findings(niaga)
    finally:
        clock.reset()
    assert found["clock"].status == "fail" and "timedatectl" in found["clock"].fix


def test_unsubscribed_webhooks_are_found_and_fixed_from_the_page(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    sandbox(niaga, webhooks_subscribed=False)
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/settings/status")
    assert page.status_code == 200
    assert 'data-key="webhook_subscription" data-status="fail"' in page.text
    assert 'id="subscribe"' in page.text
    # Meta sends nothing meanwhile: a customer's message never arrives.
    r = owner.post("/settings/status/subscribe", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    assert httpx.get(f"{niaga.url}/sandbox/_control/config", headers=CONTROL).json()[
        "webhooks_subscribed"
    ]
    page = owner.get("/settings/status")
    assert 'data-key="webhook_subscription" data-status="ok"' in page.text
    agent = make_user(factory, "agent")
    assert agent
    assert login(niaga.url, "agent@toko.test").get("/settings/status").status_code == 403


def test_a_paused_template_and_metas_notifications(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    assert api(niaga, "POST", "/orders/templates/submit", admin).status_code == 200

    wait_template(factory, "pesanan_dikirim")
    r = httpx.patch(
        f"{niaga.url}/sandbox/_control/templates/pesanan_dikirim",
        json={"status": "PAUSED"},
        headers=CONTROL,
    )
    assert r.status_code == 200, r.text

    def paused() -> bool:
        with factory() as s:
            return (
                s.scalars(
                    select(MessageTemplate.status).where(MessageTemplate.name == "pesanan_dikirim")
                ).first()
                == "PAUSED"
            )

    wait_for(paused, timeout=15)
    found = findings(niaga)
    problem = found["template:pesanan_dikirim:id"]
    assert problem.status == "warn" and problem.params["status"] == "PAUSED"

    # Meta tells the account its limit changed: recorded, shown, and the owner is told once.
    payload = json.loads((FIXTURES / "phone_number_quality_update.json").read_text())
    sent = post_signed(niaga.url, payload, niaga.settings.wa_app_secret)
    assert sent.status_code == 200

    def recorded() -> int | None:
        with factory() as s:
            return s.scalar(select(AccountEvent.id).order_by(AccountEvent.id.desc()))

    event_id = wait_for(recorded, timeout=15)
    found = findings(niaga)
    shown = found[f"meta_event:{event_id}"]
    assert shown.params["event"] == "THROUGHPUT_UPGRADE" and "TIER_10K" in shown.params["facts"]
    for _ in range(2):
        with transaction(factory) as s:
            alerts.do_raise_meta_events(s)
    with factory() as s:
        raised = s.scalars(select(SecurityAlert).where(SecurityAlert.kind == "meta_event")).all()
    assert len(raised) == 1
    assert raised[0].details["current_limit"] == "TIER_10K"


def test_the_command_names_the_fault_and_exits_non_zero(
    niaga: LiveServer, factory: Any, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    sandbox(niaga, webhooks_subscribed=False)
    env = {
        **os.environ,
        "NIAGA_DATABASE_URL": niaga.settings.database_url,
        "NIAGA_DATA_DIR": str(niaga.settings.data_dir),
        "NIAGA_WA_GRAPH_URL": niaga.settings.wa_graph_url,
        "NIAGA_SANDBOX": "0",
        "NIAGA_LOCALE": "en",
    }
    run = subprocess.run(
        [sys.executable, "-m", "niaga", "doctor", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    found = {f["key"]: f for f in json.loads(run.stdout)}
    assert found["webhook_subscription"]["status"] == "fail"
    assert "niaga doctor --subscribe" in found["webhook_subscription"]["fix"]
    fixed = subprocess.run(
        [sys.executable, "-m", "niaga", "doctor", "--subscribe"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Webhooks subscribed" in fixed.stdout + fixed.stderr
    assert fixed.returncode in (0, 1)  # warnings (e.g. no backup yet) may remain
