"""Opening hours in the business's time zone: open now?, and when it opens next.

``hours`` maps ``mon``..``sun`` to intervals ``[["08:00", "17:00"], ...]`` in local time. An
interval whose end is not after its start runs past midnight into the next day
(``["20:00", "02:00"]``; ``"24:00"`` means the end of the day). On a holiday (local date in
``holidays``) the day's own intervals do not open; a night shift that began the day before
still runs until it ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 15


def parse_hhmm(value: str) -> time | None:
    """``"08:30"`` → 08:30; ``"24:00"`` → None (end of day)."""
    hh, _, mm = value.partition(":")
    h, m = int(hh), int(mm or 0)
    if h == 24 and m == 0:
        return None
    return time(h, m)


def _intervals_of_day(
    hours: Mapping[str, Any], holidays: set[str], day: date, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """The local (aware) open intervals that start on ``day``."""
    if day.isoformat() in holidays:
        return
    for start_s, end_s in hours.get(DAYS[day.weekday()], []) or []:
        start_t = parse_hhmm(start_s) or time(0, 0)
        end_t = parse_hhmm(end_s)
        start = datetime.combine(day, start_t, tz)
        if end_t is None:
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tz)
        else:
            end = datetime.combine(day, end_t, tz)
            if end <= start:
                end = datetime.combine(day + timedelta(days=1), end_t, tz)
        yield start, end


def _intervals(
    hours: Mapping[str, Any], holidays: Sequence[str], tz_name: str, at: datetime
) -> Iterator[tuple[datetime, datetime]]:
    tz = ZoneInfo(tz_name)
    local_day = at.astimezone(tz).date()
    holiday_set = {str(h) for h in holidays}
    for offset in range(-1, SEARCH_DAYS):
        yield from _intervals_of_day(hours, holiday_set, local_day + timedelta(days=offset), tz)


def is_open(hours: Mapping[str, Any], holidays: Sequence[str], tz_name: str, at: datetime) -> bool:
    """True when ``at`` (aware) falls in an opening interval."""
    return any(start <= at < end for start, end in _intervals(hours, holidays, tz_name, at))


def next_opening(
    hours: Mapping[str, Any], holidays: Sequence[str], tz_name: str, at: datetime
) -> datetime | None:
    """When the business next opens after ``at`` (``at`` itself if open); None if never soon."""
    starts = []
    for start, end in _intervals(hours, holidays, tz_name, at):
        if start <= at < end:
            return at
        if start > at:
            starts.append(start)
    return min(starts) if starts else None


def open_seconds(
    hours: Mapping[str, Any],
    holidays: Sequence[str],
    tz_name: str,
    start: datetime,
    end: datetime,
) -> float:
    """How many seconds of ``[start, end)`` (aware) the business was open: a customer who
    wrote at 20:00 and was answered at 08:30 the next morning, with opening at 08:00, waited
    half an hour of business time."""
    if end <= start:
        return 0.0
    tz = ZoneInfo(tz_name)
    holiday_set = {str(h) for h in holidays}
    day = start.astimezone(tz).date() - timedelta(days=1)  # a night shift from the day before
    last = end.astimezone(tz).date()
    total = 0.0
    while day <= last:
        for a, b in _intervals_of_day(hours, holiday_set, day, tz):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def weekly_summary(hours: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(day, "08:00–17:00, 19:00–21:00" or "") for every weekday, Monday first."""
    return [(day, ", ".join(f"{a}–{b}" for a, b in (hours.get(day) or []))) for day in DAYS]
