"""The weekly and monthly reports go by email on schedule, to a real SMTP server on loopback
(aiosmtpd): once per period and recipient, in the recipient's language, with the PDF; a
server that refuses is tried again later; a claim a crash left behind is never sent again."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime
from email import policy
from email.message import Message as Mail
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import delivery, rollups
from niaga.analytics.models import ReportDelivery
from niaga.core import clock
from niaga.core.db import transaction
from niaga.security.users import do_create_user
from tests.analytics.helpers import last_weeks_sends
from tests.conftest import free_port, make_settings

WIB = ZoneInfo("Asia/Jakarta")


class Inbox:
    """An SMTP server's handler that keeps what it is given."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Mail]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(
            (
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def shop(own_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Two owners (one reads English), an agent, and last week's messages."""
    with transaction(own_factory) as s:
        do_create_user(
            s, email="sari@toko.test", name="Sari", password="rahasia-sekali-123", role="owner"
        )
        do_create_user(
            s,
            email="tom@toko.test",
            name="Tom",
            password="rahasia-sekali-123",
            role="owner",
            locale="en",
        )
        do_create_user(
            s, email="budi@toko.test", name="Budi", password="rahasia-sekali-123", role="agent"
        )
        last_weeks_sends(s, ("read", "read", "delivered", "failed"))
    rollups.refresh(own_factory, "Asia/Jakarta")
    return own_factory


def settings(port: int, **kw: Any) -> Any:
    return make_settings(
        "sqlite://",
        1,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_from="laporan@toko.test",
        report_monthly=False,
        business_name="Toko Sari",
        **kw,
    )


def set_now(when: datetime) -> None:
    clock.reset()
    clock.advance(when - clock.now())


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=WIB).astimezone(UTC)


def test_the_weekly_report_goes_once_to_each_owner_with_its_pdf(
    shop: sessionmaker[Session], smtp: Any
) -> None:
    controller, inbox = smtp
    config = settings(controller.port)
    set_now(at(1, 6))  # Tuesday 06:00: last week's report went out yesterday at 07:00
    assert delivery.send_due(shop, config) == 2
    assert delivery.send_due(shop, config) == 0  # not twice
    by_address = {to[0]: mail for to, mail in inbox.mails}
    assert sorted(by_address) == ["sari@toko.test", "tom@toko.test"]  # owners, not the agent
    sari = by_address["sari@toko.test"]
    assert sari["Subject"] == "Laporan mingguan Toko Sari · 2026-11-23 – 2026-11-29"
    assert sari["From"] == "laporan@toko.test"
    parts = {p.get_content_type(): p for p in sari.walk()}
    text = parts["text/plain"].get_payload(decode=True).decode()
    assert "Tingkat dibaca: 66.7%" in text  # 2 of the 3 that left
    assert "<h1>Laporan mingguan</h1>" in parts["text/html"].get_payload(decode=True).decode()
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == "niaga-week-2026-11-23.pdf"
    assert pdf.get_payload(decode=True).startswith(b"%PDF")
    assert by_address["tom@toko.test"]["Subject"].startswith("Weekly report Toko Sari")
    with shop() as s:
        rows = delivery.sent_for(s, "week", date(2026, 11, 23))
    assert [(r.recipient, r.state, r.attempts) for r in rows] == [
        ("sari@toko.test", "sent", 1),
        ("tom@toko.test", "sent", 1),
    ]


def test_before_the_hour_the_previous_week_is_the_one_due() -> None:
    config = settings(25)
    set_now(at(7, 6))  # Monday 06:00 WIB: this Monday's report is not due yet
    try:
        (item,) = delivery.due(config, clock.now())
        assert item.period.first == date(2026, 11, 23)
        set_now(at(7, 7))
        (item,) = delivery.due(config, clock.now())
        assert item.period.first == date(2026, 11, 30)
    finally:
        clock.reset()


def test_a_refusing_server_is_tried_again_and_a_lost_claim_is_not_resent(
    shop: sessionmaker[Session], smtp: Any
) -> None:
    controller, inbox = smtp
    closed = settings(free_port(), report_emails="gudang@toko.test, sari@toko.test")
    set_now(at(1, 8))
    assert delivery.send_due(shop, closed) == 0
    with shop() as s:
        rows = delivery.sent_for(s, "week", date(2026, 11, 23))
    assert {r.state for r in rows} == {"failed"}
    assert all("ConnectionRefusedError" in (r.error or "") for r in rows)
    config = settings(controller.port, report_emails="gudang@toko.test, sari@toko.test")
    assert delivery.send_due(shop, config) == 0  # not before the retry time
    set_now(at(1, 8).replace(minute=11))
    # A crash had left Sari's claim mid-way: it may have gone, so it is not sent again.
    with transaction(shop) as s:
        s.execute(
            update(ReportDelivery)
            .where(ReportDelivery.recipient == "sari@toko.test")
            .values(state="sending", claimed_at=at(1, 7))
        )
    assert delivery.send_due(shop, config) == 1
    assert [to for to, _ in inbox.mails] == [["gudang@toko.test"]]
    with shop() as s:
        states = {
            r.recipient: (r.state, r.attempts)
            for r in delivery.sent_for(s, "week", date(2026, 11, 23))
        }
    assert states == {"gudang@toko.test": ("sent", 2), "sari@toko.test": ("in_doubt", 1)}


def test_nothing_is_sent_without_an_smtp_server(shop: sessionmaker[Session]) -> None:
    set_now(at(1, 8))
    assert delivery.send_due(shop, make_settings("sqlite://", 1)) == 0
    with shop() as s:
        assert delivery.sent_for(s, "week", date(2026, 11, 23)) == []
