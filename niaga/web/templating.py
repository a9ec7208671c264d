"""Jinja2 for the signed-in pages: translations, money, local times, CSRF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from niaga.analytics.printable import TEMPLATES as REPORTS
from niaga.core import clock
from niaga.core.i18n import format_day, format_idr, format_local, gettext
from niaga.core.phone import mask
from niaga.security import guard, permissions
from niaga.web.auth import may

TEMPLATES = Path(__file__).resolve().parent / "templates"

env = Environment(
    # The analytics package's templates too: the dashboard shares the report's figures and
    # charts (niaga/analytics/templates/_figures.html) with the printable report.
    loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), FileSystemLoader(str(REPORTS))]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_short(value: datetime | None, tz: str, locale: str) -> str:
    """``14.05`` today, ``Kemarin``/``Yesterday``, else ``28 Nov`` (business time zone)."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = clock.as_utc(value).astimezone(zone)
    today = clock.now().astimezone(zone).date()
    if local.date() == today:
        return format_time(local, "HH.mm" if locale == "id" else "HH:mm", locale=locale)
    if (today - local.date()).days == 1:
        return gettext("Yesterday", locale)
    if local.year == today.year:
        return format_date(local, "d MMM", locale=locale)
    return format_date(local, "d MMM yyyy", locale=locale)


def _number(value: str | None, user: Any) -> str:
    """A customer's number, masked for someone who may not see numbers in full."""
    if not value:
        return ""
    return value if permissions.has(user, "see_phone_numbers") else mask(value)


def _person(contact: Any, user: Any) -> str:
    """The name to show for a customer (their number only if nothing else, masked as due)."""
    named = getattr(contact, "display_name", None) or getattr(contact, "profile_name", None)
    return named or _number(getattr(contact, "phone", None), user) or "?"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``name`` with the request's user, locale and CSRF token."""
    settings = request.app.state.settings
    locale = getattr(request.state, "locale", settings.locale)
    tz = settings.timezone

    def _(message: str, **params: Any) -> str:
        return gettext(message, locale, **params)

    values = {
        "request": request,
        "_": _,
        "locale": locale,
        "tz": tz,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "idr": lambda amount: format_idr(int(amount), locale),
        "when": lambda v, fmt="medium": format_local(clock.as_utc(v), tz, locale, fmt) if v else "",
        "short": lambda v: local_short(v, tz, locale),
        "day": lambda d: format_day(d, locale),
        "iso": lambda v: clock.as_utc(v).isoformat() if v else "",
        "business_name": settings.business_name,
        "number": lambda v: _number(v, getattr(request.state, "user", None)),
        "person": lambda c: _person(c, getattr(request.state, "user", None)),
        "risky_links": guard.suspicious_links,
        "may": may,
        **context,
    }
    html = env.get_template(name).render(values)
    return HTMLResponse(html, status_code=status_code)
