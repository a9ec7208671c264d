"""The weekly and monthly reports, sent by email on schedule (by WhatsApp: :mod:`whatsapp_report`).

The week's report goes on Monday and the month's on the 1st, at ``report_hour`` in the
business time zone, for the period just ended (only the latest one: a new installation does
not send a backlog). Each recipient's delivery is claimed in its own row before the message
leaves, so a crash never sends it twice: a claim left ``sending`` becomes ``in_doubt`` and
stays unsent. A refused or unreachable SMTP server is tried again later, at most
:data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import printable, report
from niaga.analytics.models import ReportDelivery
from niaga.analytics.periods import Period, period_of
from niaga.core import clock, mail
from niaga.core.config import Settings
from niaga.core.db import insert_ignoring_conflicts, transaction
from niaga.core.i18n import format_idr, gettext
from niaga.security.users import email_recipients

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=10)
IN_DOUBT_AFTER = timedelta(minutes=15)
HEADLINE = ("sent", "open_rate", "response_rate", "orders", "revenue", "csat_average")


@dataclass(frozen=True)
class Due:
    """A report whose time has come."""

    kind: str  # week | month
    period: Period


def due(settings: Settings, now: datetime) -> list[Due]:
    """The reports due at ``now``: the latest week and month that have ended, once their
    sending hour has come on the day after."""
    zone = settings.timezone
    local = clock.as_utc(now).astimezone(ZoneInfo(zone))
    if local.hour < settings.report_hour:
        local -= timedelta(days=1)  # before the hour, the previous day's view
    today = local.date()
    out = []
    if settings.report_weekly:
        out.append(Due("week", period_of("week", today - timedelta(days=7), zone)))
    if settings.report_monthly:
        out.append(Due("month", period_of("month", today.replace(day=1) - timedelta(days=1), zone)))
    return out


def recipients(session: Session, settings: Settings) -> list[tuple[str, str]]:
    """(address, locale) of who gets the reports (``NIAGA_REPORT_EMAILS`` or the owners)."""
    return email_recipients(session, settings.report_emails, settings.locale)


def send_due(factory: sessionmaker[Session], settings: Settings) -> int:
    """Send every report that is due and not yet sent; how many went."""
    if not settings.smtp_host:
        return 0
    now = clock.now()
    _mark_in_doubt(factory, now)
    with factory() as s:
        people = recipients(s, settings)
    sent = 0
    for item in due(settings, now):
        built: dict[str, tuple[str, str, str, bytes]] = {}
        for address, locale in people:
            if not claim(factory, item, address, now):
                continue
            try:
                if locale not in built:
                    built[locale] = build(factory, item, settings, locale)
                _send(settings, address, item, locale, *built[locale])
            except Exception as exc:
                log.warning(
                    "report %s %s to %s failed: %s", item.kind, item.period.first, address, exc
                )
                finish(factory, item, address, error=f"{type(exc).__name__}: {exc}"[:500])
                continue
            finish(factory, item, address)
            sent += 1
    return sent


def _key(item: Due, address: str, channel: str) -> Any:
    d = ReportDelivery
    return (
        d.kind == item.kind,
        d.period_first == item.period.first,
        d.channel == channel,
        d.recipient == address,
    )


def claim(
    factory: sessionmaker[Session], item: Due, address: str, now: datetime, channel: str = "email"
) -> bool:
    """Take this delivery (new, or failed and due for another try); False if it is not ours
    to send (sent, in doubt, being sent, or given up)."""
    d = ReportDelivery
    with transaction(factory) as s:
        s.execute(
            insert_ignoring_conflicts(s, d.__table__).values(
                kind=item.kind,
                period_first=item.period.first,
                channel=channel,
                recipient=address,
                state="failed",
                attempts=0,
            )
        )
        taken = s.execute(
            update(d)
            .where(
                *_key(item, address, channel),
                d.state == "failed",
                d.attempts < MAX_ATTEMPTS,
                or_(d.next_try_at.is_(None), d.next_try_at <= now),
            )
            .values(state="sending", attempts=d.attempts + 1, claimed_at=now)
        )
        return bool(taken.rowcount)


def finish(
    factory: sessionmaker[Session],
    item: Due,
    address: str,
    error: str | None = None,
    channel: str = "email",
) -> None:
    """The claimed delivery went (``error`` None) or failed and waits for another try."""
    d = ReportDelivery
    now = clock.now()
    values: dict[str, Any] = (
        {"state": "sent", "sent_at": now, "error": None}
        if error is None
        else {"state": "failed", "error": error, "next_try_at": now + RETRY_AFTER}
    )
    with transaction(factory) as s:
        s.execute(
            update(d).where(*_key(item, address, channel), d.state == "sending").values(**values)
        )


def _mark_in_doubt(factory: sessionmaker[Session], now: datetime) -> None:
    """Emails a crash left claimed: the message may have gone, so it is not sent again."""
    d = ReportDelivery
    with transaction(factory) as s:
        s.execute(
            update(d)
            .where(d.channel == "email", d.state == "sending", d.claimed_at < now - IN_DOUBT_AFTER)
            .values(state="in_doubt")
        )


def build(
    factory: sessionmaker[Session], item: Due, settings: Settings, locale: str
) -> tuple[str, str, str, bytes]:
    """Subject, plain text, HTML page and PDF of the report in ``locale``."""
    data, page, pdf = render(factory, item, settings, locale)
    subject = (
        f"{printable.title(item.kind, locale)} {settings.business_name} · {item.period.label()}"
    )
    return subject, summary_text(data, locale), page, pdf


def render(
    factory: sessionmaker[Session], item: Due, settings: Settings, locale: str
) -> tuple[dict[str, Any], str, bytes]:
    """The report's figures, its printable page and the PDF of it, in ``locale``."""
    with factory() as s:
        data = report.for_reader(s, item.period, None, settings, locale)
    page = printable.html(data, locale=locale, business_name=settings.business_name)
    return data, page, printable.pdf(page)


def shown(figure: dict[str, Any], locale: str) -> str:
    """A figure's value as a person reads it: "81.0%", "Rp150.000", "4.50", "1.250"."""
    value = figure["value"]
    if value is None:
        return "–"
    if figure["unit"] == "percent":
        return f"{value:.1f}%"
    if figure["unit"] == "idr":
        return format_idr(int(value), locale)
    if figure["unit"] == "rating":
        return f"{value:.2f}"
    return f"{int(value):,}".replace(",", ".")


def summary_text(data: dict[str, Any], locale: str) -> str:
    """The plain-text body: the headline figures and what to do next."""
    figures = {f["key"]: f for f in data["figures"]}
    lines = []
    for key in HEADLINE:
        f = figures[key]
        band = f" ({f['band_text']})" if f.get("band_text") else ""
        lines.append(f"- {f['name']}: {shown(f, locale)}{band}")
    advice = [f"- {r['text']}" for r in data["recommendations"]]
    if advice:
        lines += ["", gettext("What to do next", locale), *advice]
    return "\n".join(lines)


def _send(
    settings: Settings,
    address: str,
    item: Due,
    locale: str,
    subject: str,
    text: str,
    page: str,
    pdf: bytes,
) -> None:
    message = mail.new_message(
        settings,
        address,
        subject,
        gettext("The report is attached as a PDF.", locale) + "\n\n" + text,
    )
    message.add_alternative(page, subtype="html")
    message.add_attachment(
        pdf,
        maintype="application",
        subtype="pdf",
        filename=f"niaga-{item.kind}-{item.period.first.isoformat()}.pdf",
    )
    mail.send(settings, message)


def sent_for(session: Session, kind: str, first: date) -> list[ReportDelivery]:
    """The deliveries of one report (tests, the settings page)."""
    d = ReportDelivery
    return list(
        session.scalars(select(d).where(d.kind == kind, d.period_first == first).order_by(d.id))
    )
