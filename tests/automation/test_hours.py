"""Opening hours across time zones, midnight and holidays."""

from __future__ import annotations

from datetime import UTC, datetime

from niaga.automation.hours import is_open, next_opening

WEEKDAYS = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekday_hours_in_jakarta() -> None:
    # Monday 2026-12-07: 08:00 WIB is 01:00 UTC.
    assert not is_open(WEEKDAYS, [], "Asia/Jakarta", utc(2026, 12, 7, 0, 59))
    assert is_open(WEEKDAYS, [], "Asia/Jakarta", utc(2026, 12, 7, 1, 0))
    assert is_open(WEEKDAYS, [], "Asia/Jakarta", utc(2026, 12, 7, 9, 59))
    assert not is_open(WEEKDAYS, [], "Asia/Jakarta", utc(2026, 12, 7, 10, 0))


def test_the_same_instant_in_three_time_zones() -> None:
    at = utc(2026, 12, 7, 9, 30)  # 16:30 WIB, 17:30 WITA, 18:30 WIT
    assert is_open(WEEKDAYS, [], "Asia/Jakarta", at)
    assert not is_open(WEEKDAYS, [], "Asia/Makassar", at)
    assert not is_open(WEEKDAYS, [], "Asia/Jayapura", at)
    assert next_opening(WEEKDAYS, [], "Asia/Jayapura", at) == utc(2026, 12, 7, 23, 0)


def test_a_night_shift_runs_past_midnight() -> None:
    night = {"fri": [["20:00", "02:00"]]}
    # Friday 2026-12-11 in Makassar (UTC+8).
    assert not is_open(night, [], "Asia/Makassar", utc(2026, 12, 11, 11, 59))  # 19:59 Fri
    assert is_open(night, [], "Asia/Makassar", utc(2026, 12, 11, 12, 0))  # 20:00 Fri
    assert is_open(night, [], "Asia/Makassar", utc(2026, 12, 11, 17, 30))  # 01:30 Sat
    assert not is_open(night, [], "Asia/Makassar", utc(2026, 12, 11, 18, 0))  # 02:00 Sat
    assert next_opening(night, [], "Asia/Makassar", utc(2026, 12, 11, 18, 0)) == utc(
        2026, 12, 18, 12, 0
    )


def test_open_until_midnight_and_around_the_clock() -> None:
    late = {"sat": [["18:00", "24:00"]], "sun": [["00:00", "03:00"]]}
    assert is_open(late, [], "Asia/Jakarta", utc(2026, 12, 12, 16, 59))  # Sat 23:59 WIB
    assert is_open(late, [], "Asia/Jakarta", utc(2026, 12, 12, 17, 0))  # Sun 00:00 WIB
    assert not is_open(late, [], "Asia/Jakarta", utc(2026, 12, 12, 20, 0))  # Sun 03:00 WIB


def test_holidays_close_the_day_and_its_night_shift() -> None:
    night = {"thu": [["09:00", "17:00"]], "fri": [["20:00", "02:00"]]}
    holidays = ["2026-12-11"]  # a Friday
    assert not is_open(night, holidays, "Asia/Jakarta", utc(2026, 12, 11, 14, 0))  # Fri 21:00
    assert not is_open(night, holidays, "Asia/Jakarta", utc(2026, 12, 11, 18, 30))  # Sat 01:30
    # Christmas on a Friday: the next opening skips it.
    at = utc(2026, 12, 24, 11, 0)  # Thu 18:00 WIB
    assert next_opening(WEEKDAYS, ["2026-12-25"], "Asia/Jakarta", at) == utc(2026, 12, 28, 1, 0)


def test_no_hours_means_closed_with_no_known_opening() -> None:
    assert not is_open({}, [], "Asia/Jakarta", utc(2026, 12, 7, 3, 0))
    assert next_opening({}, [], "Asia/Jakarta", utc(2026, 12, 7, 3, 0)) is None
