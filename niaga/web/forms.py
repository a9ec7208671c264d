"""Small readers of form and query values that several pages share."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from niaga.core.errors import DomainError


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
