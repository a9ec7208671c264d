"""An incident walked from the audit log: what a suspect touched, the customers affected,
containment in one go, the five steps with their times, the drafted notices."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from niaga.core import clock
from niaga.core.db import transaction
from niaga.security import two_factor
from niaga.security.models import ApiToken, AuditEntry, User
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user


def test_an_incident_from_the_audit_log_to_the_drafted_notice(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    admin_id = make_user(factory, "admin", name="Dimas")
    make_user(factory, "agent")
    sb = SandboxControl(niaga.url)
    for phone, name in (("6281200000001", "Ani"), ("6281200000002", "Bayu")):
        sb.customer(phone, name)
        sb.send(phone, type="text", text="halo kak")

    wait_for(lambda: _messages(factory) >= 2)
    # The suspect: an admin who exports today's chats and makes an API token.
    admin = login(niaga.url, "admin@toko.test")
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    r = admin.get(
        "/analytics/export.csv", params={"kind": "messages", "first": today, "last": today}
    )
    assert r.status_code == 200
    admin.post(
        "/settings/tokens",
        data={"csrf_token": csrf(admin), "name": "skrip", "role": "admin", "days": "30"},
    )
    owner = login(niaga.url, "owner@toko.test")
    audit_page = owner.get("/settings/audit", params={"who": str(admin_id)}).text
    link = re.search(r'id="open-incident" href="([^"]+)"', audit_page).group(1)
    form = owner.get(link.replace("&amp;", "&")).text
    assert f'value="{admin_id}" checked' in form
    r = owner.post(
        "/settings/incidents",
        data={
            "csrf_token": csrf(owner),
            "title": "Akun admin dipakai orang lain",
            "first": today,
            "user_ids": str(admin_id),
        },
    )
    assert r.status_code == 303
    page_url = r.headers["location"]
    page = owner.get(page_url).text
    assert 'id="affected-count">2<' in page
    assert "messages" in page and "token.created" in page
    notice = re.search(r'id="customer-notice">(.*?)</textarea>', page, re.S).group(1)
    assert "Pelanggan Niaga yang terhormat" in notice and "messages" in notice
    report = re.search(r'id="authority-report">(.*?)</textarea>', page, re.S).group(1)
    assert "Jumlah subjek data terdampak: 2" in report and "Dimas" in report
    # Full numbers only through the logged download.
    assert "6281200000001" not in page and "+62812****0001" in page
    listed = owner.get(f"{page_url}/affected.csv").text
    assert "+6281200000001" in listed and "+6281200000002" in listed

    # Step one in one go.
    r = owner.post(f"{page_url}/contain", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    assert admin.get("/inbox").status_code == 303  # signed out
    with factory() as s:
        assert s.get(User, admin_id).is_active is False
        assert all(t.revoked_at for t in s.scalars(select(ApiToken)))
    assert owner.get("/inbox").status_code == 200  # the owner's own session stays
    for key in ("assess", "notify_customers", "report_authority", "review"):
        r = owner.post(
            f"{page_url}/steps/{key}", data={"csrf_token": csrf(owner), "note": f"selesai {key}"}
        )
        assert r.status_code == 303
    page = owner.get(page_url).text
    assert page.count('class="done"') == 5 and "Ditutup" in page
    r = owner.post(
        f"{page_url}/drafts",
        data={
            "csrf_token": csrf(owner),
            "customer_notice": "Teks kami sendiri",
            "authority_report": "",
        },
    )
    assert "Teks kami sendiri" in owner.get(page_url).text
    with factory() as s:
        kinds = s.scalars(select(AuditEntry.kind)).all()
    for kind in ("incident.opened", "incident.contained", "incident.step", "incident.closed"):
        assert kind in kinds
    assert kinds.count("data.export") >= 2  # the suspect's export and the owner's list
    admin_agent = login(niaga.url, "agent@toko.test")
    assert admin_agent.get(page_url).status_code == 403
    with transaction(factory) as s:
        assert two_factor.devices(s, admin_id) == []


def _messages(factory: Any) -> int:
    from niaga.inbox.models import Message

    with factory() as s:
        return len(s.scalars(select(Message.id).where(Message.direction == "in")).all())


def test_the_command_line_opens_and_shows_an_incident(niaga: LiveServer, factory: Any) -> None:
    from tests.test_cli import niaga as run_cli

    make_user(factory, "admin", name="Dimas")
    login(niaga.url, "admin@toko.test")
    url = niaga.settings.database_url
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    r = run_cli(
        url, "incident", "open", "--title", "Uji", "--since", today, "--user", "admin@toko.test"
    )
    assert r.returncode == 0, r.stderr
    assert "People: Dimas" in r.stderr and "Pemberitahuan Kegagalan Pelindungan" in r.stdout
    assert run_cli(url, "incident", "show", "999").returncode == 2
    bad = run_cli(url, "incident", "open", "--title", "X", "--since", today)
    assert bad.returncode == 2 and "at least one" in bad.stderr
