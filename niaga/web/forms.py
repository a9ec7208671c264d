"""Small readers of form and query values, and the answers to a form, that several pages
share."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from niaga.core.errors import DomainError


def back_to(path: str, flash: str | None = None, *, anchor: str | None = None) -> RedirectResponse:
    """A form's answer: back to ``path`` (at ``#anchor``), with ``flash`` shown on the page."""
    query = f"?flash={quote(flash)}" if flash else ""
    return RedirectResponse(f"{path}{query}{'#' + anchor if anchor else ''}", status_code=303)


def problems(exc: ValidationError) -> str:
    """What a form got wrong, in one line a person can read: ``field: message; …``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '-'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )


def form_date(text: str, field: str) -> date | None:
    """A ``YYYY-MM-DD`` value (empty: none chosen); a clear 422 naming ``field`` otherwise."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("bad_date", "Give a date as YYYY-MM-DD.", field=field) from None


def day_bound(text: str, field: str, tz: str, *, end: bool = False) -> datetime | None:
    """The start of the local day ``text`` in ``tz`` (with ``end``: of the day after, so the
    day is included), or None when empty."""
    day = form_date(text, field)
    if day is None:
        return None
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(), ZoneInfo(tz))
