"""The owner's order settings: confirmation of new orders, labels by status, delivery days
(used for the estimated arrival), read with defaults until saved."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.core.i18n import format_day, gettext
from niaga.orders.models import Order, OrderSettings
from niaga.security import audit

SETTINGS_ID = 1
MAX_DAYS = 60


def load(session: Session) -> OrderSettings:
    """The stored settings, or unsaved defaults (never writes)."""
    return session.get(OrderSettings, SETTINGS_ID) or OrderSettings(
        id=SETTINGS_ID,
        confirm_new_orders=True,
        label_by_status=False,
        delivery_days=3,
        courier_days={},
    )


def parse_courier_days(text: str) -> dict[str, int]:
    """``"JNE REG = 3\\nSiCepat BEST: 1"`` → ``{"jne reg": 3, "sicepat best": 1}``."""
    found: dict[str, int] = {}
    for raw in text.replace(",", "\n").splitlines():
        line = raw.strip()
        if not line:
            continue
        name, sep, days = line.replace(":", "=").rpartition("=")
        name = " ".join(name.split()).lower()
        if not sep or not name or not days.strip().isdigit():
            raise DomainError(
                "courier_days_invalid",
                "Write one courier per line as name = days (e.g. JNE REG = 3): {line}",
                field="courier_days",
                line=line[:60],
            )
        value = int(days.strip())
        if not 0 <= value <= MAX_DAYS:
            raise DomainError(
                "courier_days_invalid",
                "Delivery days must be 0 to {max}: {line}",
                field="courier_days",
                max=MAX_DAYS,
                line=line[:60],
            )
        found[name[:100]] = value
    return found


def courier_days_text(prefs: OrderSettings) -> str:
    """The per-courier days as the settings form shows them."""
    return "\n".join(
        f"{name} = {days}" for name, days in sorted((prefs.courier_days or {}).items())
    )


def do_save(session: Session, **changes: Any) -> OrderSettings:
    """Change the given settings (audited)."""
    prefs = session.get(OrderSettings, SETTINGS_ID)
    if prefs is None:
        prefs = load(session)
        session.add(prefs)
    if not 0 <= int(changes.get("delivery_days", prefs.delivery_days)) <= MAX_DAYS:
        raise DomainError(
            "delivery_days_invalid", "Delivery days must be 0 to {max}.", max=MAX_DAYS
        )
    changed = sorted(k for k, v in changes.items() if getattr(prefs, k) != v)
    for key, value in changes.items():
        setattr(prefs, key, value)
    if changed:
        audit.record(
            session, "settings.changed", target=("settings", "orders"), details={"fields": changed}
        )
    session.flush()
    return prefs


def delivery_days(prefs: OrderSettings, courier: str | None) -> int:
    """Days from shipping to arrival for ``courier`` (its own, else the default)."""
    name = " ".join((courier or "").split()).lower()
    table = prefs.courier_days or {}
    if name in table:
        return int(table[name])
    # "JNE REG" configured as "jne": the longest configured name the courier starts with.
    for known in sorted(table, key=len, reverse=True):
        if name.startswith(known):
            return int(table[known])
    return prefs.delivery_days


def estimate(prefs: OrderSettings, shipped_at: datetime, courier: str | None, tz: str) -> date:
    """The local day a parcel shipped at ``shipped_at`` should arrive."""
    local = shipped_at.astimezone(ZoneInfo(tz)).date()
    return local + timedelta(days=delivery_days(prefs, courier))


def arrival_phrase(order: Order, now: datetime, tz: str, locale: str) -> str | None:
    """ "today", "tomorrow", "the day after tomorrow" or the date, in ``locale``; None when
    the order has no estimate or it has passed."""
    if order.estimated_arrival is None:
        return None
    today = now.astimezone(ZoneInfo(tz)).date()
    days = (order.estimated_arrival - today).days
    if days < 0:
        return None
    if days == 0:
        return gettext("today", locale)
    if days == 1:
        return gettext("tomorrow", locale)
    if days == 2:
        return gettext("the day after tomorrow", locale)
    return gettext("on {day}", locale, day=format_day(order.estimated_arrival, locale))


# Statuses whose messages tell the estimated arrival (before it, there is none; after, it came).
TELLS_ARRIVAL = ("dikonfirmasi", "dibayar", "dikirim")


def arrival_sentence(order: Order, tz: str, locale: str) -> str:
    """ " It should arrive tomorrow." for a message about ``order`` (empty when there is none
    to tell)."""
    if order.status not in TELLS_ARRIVAL:
        return ""
    when = arrival_phrase(order, clock.now(), tz, locale)
    return " " + gettext("It should arrive {when}.", locale, when=when) if when else ""
