"""Reporting periods in the business's time zone: a day, a week (Monday to Sunday) or a month,
as half-open UTC ranges the queries use (a message at 23:30 WIB belongs to that WIB day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from niaga.core.errors import DomainError

Kind = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Period:
    """``[start, end)`` of local dates, and the same as UTC instants."""

    kind: Kind
    first: date  # the first local day
    last: date  # the last local day (inclusive)
    zone: str

    @property
    def start(self) -> datetime:
        return _utc(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return _utc(self.last + timedelta(days=1), self.zone)

    def previous(self) -> Period:
        """The period of the same kind just before."""
        return period_of(self.kind, self.first - timedelta(days=1), self.zone)

    def label(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            return f"{self.first.isoformat()} – {self.last.isoformat()}"
        return self.first.strftime("%Y-%m")


def _utc(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def checked(day: date, field: str = "date") -> date:
    """``day``, when it is a date a business's records can have (else a 422 naming ``field``)."""
    if not EARLIEST <= day <= LATEST:
        raise DomainError(
            "date_range",
            "Choose a date between {first} and {last}.",
            field=field,
            first=EARLIEST.isoformat(),
            last=LATEST.isoformat(),
        )
    return day


def period_of(kind: Kind, day: date, zone: str, field: str = "date") -> Period:
    """The day, week or month that contains the local date ``day``."""
    checked(day, field)
    if kind == "day":
        return Period(kind, day, day, zone)
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6), zone)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(kind, first, following - timedelta(days=1), zone)


def choose(
    kind: Kind, day: date | None, against: date | None, zone: str, now: datetime
) -> tuple[date, Period, Period | None]:
    """What a reader asked for: the day (today when none), the period containing it, and the
    period containing ``against`` to compare with (None: the period before)."""
    day = day or today(zone, now)
    other = period_of(kind, against, zone, "against") if against else None
    return day, period_of(kind, day, zone), other


def today(zone: str, now: datetime) -> date:
    """The local date at ``now``."""
    return now.astimezone(ZoneInfo(zone)).date()
