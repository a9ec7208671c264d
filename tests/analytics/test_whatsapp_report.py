"""The weekly report by WhatsApp, through the live server and the sandbox standing in for Meta:
nothing goes before the template is approved; the owner submits it from the API; then the PDF
is uploaded and the template goes once to each number, with the PDF as its document header,
also when a crash left a delivery half done."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from niaga.analytics import rollups, whatsapp_report
from niaga.analytics.delivery import Due
from niaga.analytics.models import ReportDelivery
from niaga.analytics.periods import period_of
from niaga.channels.whatsapp.channel import make_channel
from niaga.core import clock
from niaga.core.db import transaction
from niaga.outbox.models import OutboxMessage
from niaga.templates.models import MessageTemplate
from tests.analytics.helpers import last_weeks_sends
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

WIB = ZoneInfo("Asia/Jakarta")
OWNER_PHONE, PARTNER_PHONE = "+6281234599001", "+6281234599002"


def set_now(when: datetime) -> None:
    clock.reset()
    clock.advance(when - clock.now())


def last_week(factory: Any) -> None:
    """A customer's chat in the week of 23–29 November: three sent, two of them read."""
    with transaction(factory) as s:
        last_weeks_sends(s, ("read", "read", "delivered"))
    rollups.refresh(factory, "Asia/Jakarta")


def send_due(factory: Any, settings: Any) -> int:
    async def run() -> int:
        channel = make_channel(settings)
        try:
            return await whatsapp_report.send_due(factory, settings, channel)
        finally:
            await channel.close()

    return asyncio.run(run())


def upload(settings: Any) -> str:
    async def run() -> str:
        channel = make_channel(settings)
        try:
            pdf = whatsapp_report.sample_pdf(settings)
            return await channel.upload_media(
                settings.wa_phone_number_id, pdf, "application/pdf", "a.pdf"
            )
        finally:
            await channel.close()

    return asyncio.run(run())


def submit_and_wait(niaga: LiveServer, factory: Any, owner: dict[str, str] | None) -> None:
    """Submit the template through the API (``owner``'s token) or the owner's page."""
    if owner is not None:
        r = api(niaga, "POST", "/analytics/reports/whatsapp-template", owner)
        assert r.status_code == 201, r.text
        assert r.json() == {"submitted": [whatsapp_report.NAME]}
    else:
        make_user(factory, "owner")
        page = login(niaga.url, "owner@toko.test")
        form = {"csrf_token": csrf(page)}
        assert page.post("/analytics/report-template", data=form).status_code == 303

    def approved() -> bool:
        with factory() as s:
            found = s.scalars(
                select(MessageTemplate).where(MessageTemplate.name == whatsapp_report.NAME)
            ).one()
            return found.status == "APPROVED"

    wait_for(approved, timeout=15)


def reports_to(niaga: LiveServer, phone: str) -> list[dict[str, Any]]:
    wa_id = phone.removeprefix("+")
    return [
        m
        for m in SandboxControl(niaga.url).messages(to=wa_id)
        if m["type"] == "template" and m["body"]["template"]["name"] == whatsapp_report.NAME
    ]


def test_the_weekly_report_goes_by_whatsapp_once_with_its_pdf(
    niaga: LiveServer, factory: Any
) -> None:
    last_week(factory)
    settings = niaga.settings.model_copy(
        update={
            "report_whatsapp": f"0812-3459-9001, {PARTNER_PHONE}, not-a-number",
            "report_monthly": False,
            "business_name": "Toko Sari",
        }
    )
    assert whatsapp_report.numbers(settings) == [OWNER_PHONE, PARTNER_PHONE]
    set_now(datetime(2026, 11, 30, 8, tzinfo=WIB).astimezone(UTC))  # Monday 08:00
    # Not approved yet: nothing is claimed or sent, and the owner's page says why.
    assert send_due(factory, settings) == 0
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ReportDelivery)) == 0
    make_user(factory, "owner")
    page = login(niaga.url, "owner@toko.test").get("/analytics").text
    assert 'data-template="none"' in page and "Ajukan template untuk ditinjau" in page

    # The owner submits it; the sandbox reviews it and Niaga hears APPROVED by webhook.
    owner = token(factory, "owner")
    submit_and_wait(niaga, factory, owner)
    agent = token(factory, "agent")
    assert api(niaga, "POST", "/analytics/reports/whatsapp-template", agent).status_code == 403
    with factory() as s:
        submitted = s.scalars(
            select(MessageTemplate).where(MessageTemplate.name == whatsapp_report.NAME)
        ).one()
        assert submitted.category == "UTILITY"
        assert submitted.components[0]["format"] == "DOCUMENT"

    # A crash left the partner's delivery claimed after its message was queued.
    week = Due("week", period_of("week", datetime(2026, 11, 25).date(), "Asia/Jakarta"))
    media_id = upload(settings)
    with transaction(factory) as s:
        whatsapp_report._queue(s, settings, week, PARTNER_PHONE, media_id, "x")
        s.add(
            ReportDelivery(
                kind="week",
                period_first=week.period.first,
                channel="whatsapp",
                recipient=PARTNER_PHONE,
                state="sending",
                attempts=1,
                claimed_at=clock.now() - whatsapp_report.delivery.IN_DOUBT_AFTER * 2,
            )
        )
    assert send_due(factory, settings) == 2
    assert send_due(factory, settings) == 0  # never twice
    with factory() as s:
        rows = s.scalars(select(ReportDelivery).order_by(ReportDelivery.recipient)).all()
        assert [(r.recipient, r.state) for r in rows] == [
            (OWNER_PHONE, "sent"),
            (PARTNER_PHONE, "sent"),
        ]
        keys = s.scalars(select(OutboxMessage.idempotency_key)).all()
        assert sorted(k for k in keys if k.startswith("report:")) == [
            f"report:week:2026-11-23:{OWNER_PHONE}",
            f"report:week:2026-11-23:{PARTNER_PHONE}",
        ]

    sent = wait_for(lambda: reports_to(niaga, OWNER_PHONE))
    assert len(sent) == 1
    template = sent[0]["body"]["template"]
    assert template["language"]["code"] == "id"
    header, body = template["components"]
    document = header["parameters"][0]["document"]
    assert document["filename"] == "niaga-week-2026-11-23.pdf"
    params = {p["parameter_name"]: p["text"] for p in body["parameters"]}
    assert params["toko"] == "Toko Sari" and params["nama"] == "Bapak/Ibu"
    assert params["laporan"].startswith("laporan mingguan")
    assert "Terkirim: 3" in params["ringkasan"] and "66.7%" in params["ringkasan"]
    assert "\n" not in params["ringkasan"]

    async def fetch(media_id: str) -> bytes:
        channel = make_channel(settings)
        try:
            info = await channel.get_media(media_id)
            return await channel.download_media(info.url)
        finally:
            await channel.close()

    assert asyncio.run(fetch(document["id"])).startswith(b"%PDF-")
    # The partner's report was queued before the crash: the outbox kept it single.
    wait_for(lambda: reports_to(niaga, PARTNER_PHONE))
    assert len(reports_to(niaga, PARTNER_PHONE)) == 1

    overview = api(niaga, "GET", "/analytics/reports", owner).json()
    assert overview["whatsapp"]["status"] == "APPROVED"
    assert overview["ga4"] == {
        "on": False,
        "measurement_id": None,
        "events": {},
        "last_error": None,
    }
    assert {d["recipient"]: d["state"] for d in overview["deliveries"]} == {
        OWNER_PHONE: "sent",
        PARTNER_PHONE: "sent",
    }


def test_an_upload_wrong_is_recorded_and_tried_again(niaga: LiveServer, factory: Any) -> None:
    last_week(factory)
    submit_and_wait(niaga, factory, None)  # from the owner's page this time
    settings = niaga.settings.model_copy(
        update={"report_whatsapp": OWNER_PHONE, "report_monthly": False, "wa_access_token": "x"}
    )
    set_now(datetime(2026, 11, 30, 8, tzinfo=WIB).astimezone(UTC))
    assert send_due(factory, settings) == 0
    with factory() as s:
        row = s.scalars(select(ReportDelivery)).one()
        assert row.state == "failed" and row.attempts == 1 and row.error
        assert "190" in row.error or "401" in row.error or "token" in row.error.lower()
    assert not reports_to(niaga, OWNER_PHONE)
    # Ten minutes on, with the right token, it goes.
    clock.advance(whatsapp_report.delivery.RETRY_AFTER)
    right = niaga.settings.model_copy(
        update={"report_whatsapp": OWNER_PHONE, "report_monthly": False}
    )
    assert send_due(factory, right) == 1
    assert len(wait_for(lambda: reports_to(niaga, OWNER_PHONE))) == 1
    with factory() as s:
        row = s.scalars(select(ReportDelivery)).one()
        assert (row.state, row.attempts, row.error) == ("sent", 2, None)
