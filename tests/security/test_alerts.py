"""Alerts to the owner drawn from the audit log: a new device, many failed sign-ins, a mass
export, an admin action at night; by email (a real SMTP server on loopback) and by WhatsApp
inside the window (through the outbox to the sandbox)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from niaga.core import clock
from niaga.core.db import transaction
from niaga.incidents import alerts, notify
from niaga.incidents.models import SecurityAlert
from niaga.outbox.models import OutboxMessage
from tests.analytics.test_delivery import Inbox
from tests.catalog.helpers import api, open_conversation, token
from tests.conftest import LiveServer, free_port, make_settings, wait_for
from tests.web.web_helpers import PASSWORD, csrf, login, make_user

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def watcher_paused(niaga: LiveServer) -> Iterator[None]:
    """The live server's own alert watcher sits out: the test scans and notifies itself."""
    jobs = niaga.app.state.worker.jobs
    jobs.pause("security")
    wait_for(lambda: jobs.idle("security"), timeout=30)
    yield
    jobs.resume("security")


def scan(factory: Any) -> list[SecurityAlert]:
    with transaction(factory) as s:
        alerts.do_scan(s, "Asia/Jakarta")
    with factory() as s:
        return list(s.scalars(select(SecurityAlert).order_by(SecurityAlert.id)))


def sign_in(base: str, email: str, agent: str, password: str = PASSWORD) -> httpx.Response:
    c = httpx.Client(base_url=base, headers={"Accept": "text/html", "User-Agent": agent})
    page = c.get("/login")
    token_ = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return c.post("/login", data={"email": email, "password": password, "csrf_token": token_})


def test_a_new_device_raises_one_alert(
    niaga: LiveServer, factory: Any, watcher_paused: None
) -> None:
    make_user(factory, "agent")
    sign_in(niaga.url, "agent@toko.test", "Laptop Kasir")
    sign_in(niaga.url, "agent@toko.test", "Laptop Kasir")
    assert scan(factory) == []  # the first device ever is not news, nor is it again
    sign_in(niaga.url, "agent@toko.test", "HP Asing")
    sign_in(niaga.url, "agent@toko.test", "HP Asing")
    found = scan(factory)
    assert [a.kind for a in found] == ["new_device"]
    assert found[0].details["device"] == "HP Asing" and found[0].details["actor"] == "Agent"
    assert [a.id for a in scan(factory)] == [found[0].id]  # read again: nothing new


def test_failed_sign_ins_raise_one_alert_per_account_and_hour(
    niaga: LiveServer, factory: Any, watcher_paused: None
) -> None:
    make_user(factory, "owner")
    for _ in range(7):
        sign_in(niaga.url, "owner@toko.test", "Bot", "tebak-tebakan-1")
    found = scan(factory)
    assert [a.kind for a in found] == ["failed_sign_ins"]
    assert found[0].details["email"] == "owner@toko.test"
    for i in range(12):  # a spray across many accounts from one address
        sign_in(niaga.url, f"orang{i}@toko.test", "Bot", "tebak-tebakan-1")
    kinds = [a.kind for a in scan(factory)]
    assert kinds.count("failed_sign_ins") == 2


def test_a_mass_export_raises_an_alert(
    niaga: LiveServer, factory: Any, watcher_paused: None
) -> None:
    owner = token(factory, "owner")
    today = date.today()
    small = {"first": today.isoformat(), "last": today.isoformat()}
    assert api(niaga, "GET", "/analytics/exports/orders", owner, params=small).status_code == 200
    assert scan(factory) == []
    big = {"first": (today - timedelta(days=90)).isoformat(), "last": today.isoformat()}
    assert api(niaga, "GET", "/analytics/exports/contacts", owner, params=big).status_code == 200
    found = scan(factory)
    assert [a.kind for a in found] == ["mass_export"] and found[0].details["days"] == 91


def test_an_admin_change_at_night_raises_an_alert(
    niaga: LiveServer, factory: Any, watcher_paused: None
) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    now = clock.now().astimezone(WIB)
    night = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), WIB).replace(
        hour=23
    )
    day = night + timedelta(hours=11)  # 10.00 the next morning
    clock.advance(day - now)
    owner = login(niaga.url, "owner@toko.test")
    owner.post(
        "/settings/labels", data={"csrf_token": csrf(owner), "name": "VIP", "color": "#112233"}
    )
    form = {
        "require_2fa": "off",
        "remember_days": "30",
        "idle_minutes": "900",
        "absolute_hours": "72",
    }
    owner.post("/settings/security", data={**form, "csrf_token": csrf(owner)})
    assert [a.kind for a in scan(factory)] == []  # by day
    clock.advance(night + timedelta(days=1) - clock.now().astimezone(WIB))
    owner = login(niaga.url, "owner@toko.test")
    form["remember_days"] = "7"
    owner.post("/settings/security", data={**form, "csrf_token": csrf(owner)})
    found = scan(factory)
    assert [a.kind for a in found] == ["night_admin"]
    assert found[0].details["action"] == "settings.changed"
    assert found[0].details["local_time"].startswith("23:")


def test_alerts_reach_the_owners_by_email_and_whatsapp_once(
    niaga: LiveServer, factory: Any, watcher_paused: None
) -> None:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        make_user(factory, "owner")
        make_user(factory, "admin")
        open_conversation(niaga, factory, "6281111222333", "Pemilik")
        settings = make_settings(
            niaga.settings.database_url,
            niaga.settings.port,
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security="none",
            alert_whatsapp="081111222333, 0812-9999-0000",
        )
        sign_in(niaga.url, "owner@toko.test", "Laptop")
        sign_in(niaga.url, "owner@toko.test", "Tablet Asing")
        assert [a.kind for a in scan(factory)] == ["new_device"]
        assert notify.deliver(factory, settings) == 1
        assert notify.deliver(factory, settings) == 0  # told once
        assert [to for to, _ in box.mails] == [["owner@toko.test"]]
        mail = box.mails[0][1]
        assert "Peringatan keamanan Niaga: Masuk dari perangkat baru" in mail["Subject"]
        assert "Tablet Asing" in mail.get_content()
        with factory() as s:
            alert = s.scalars(select(SecurityAlert)).one()
            queued = list(s.scalars(select(OutboxMessage)))
        assert alert.notified["email:owner@toko.test"] == "sent"
        assert alert.notified["whatsapp:081111222333"] == "sent"
        assert alert.notified["whatsapp:0812-9999-0000"].startswith("skipped: no chat")
        texts = [str(m.message) for m in queued]
        assert sum("Tablet Asing" in t for t in texts) == 1
        owner = login(niaga.url, "owner@toko.test")
        page = owner.get("/settings/audit").text
        assert 'data-alert="new_device"' in page
        alert_id = re.search(r"/settings/audit/alerts/(\d+)/ack", page).group(1)
        owner.post(f"/settings/audit/alerts/{alert_id}/ack", data={"csrf_token": csrf(owner)})
        assert 'data-alert="new_device"' not in owner.get("/settings/audit").text
    finally:
        controller.stop()
