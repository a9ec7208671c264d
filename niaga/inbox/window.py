"""The 24-hour customer-service window (FACTS.md §3.4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from niaga.core import clock

WINDOW = timedelta(hours=24)


def window_expiry(last_inbound_at: datetime | None) -> datetime | None:
    """When the window that the last inbound message opened closes."""
    return None if last_inbound_at is None else clock.as_utc(last_inbound_at) + WINDOW


def window_open(last_inbound_at: datetime | None, at: datetime | None = None) -> bool:
    """True while free-form messages may be sent to the contact."""
    expiry = window_expiry(last_inbound_at)
    return expiry is not None and (at or clock.now()) < expiry
