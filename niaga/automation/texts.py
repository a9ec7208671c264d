"""The automatic messages' words: the owner's own text, or Niaga's default in the profile's
language, with ``{name}``-style placeholders filled in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from niaga.automation.eta import Estimate
from niaga.automation.hours import DAYS
from niaga.automation.models import BusinessProfile
from niaga.core.i18n import format_local, gettext

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


class _Keep(dict[str, Any]):
    """Unknown placeholders stay as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: dict[str, Any]) -> str:
    """``text`` with known ``{placeholders}`` replaced (unknown ones kept)."""
    try:
        return text.format_map(_Keep(values))
    except (ValueError, IndexError):  # a stray "{" in the owner's text
        return text


def hours_text(profile: BusinessProfile) -> str:
    """ "Senin 08:00–17:00; …; Minggu tutup" in the profile's language."""
    locale = profile.locale
    parts = []
    for day in DAYS:
        spans = ", ".join(f"{a}–{b}" for a, b in (profile.hours or {}).get(day) or [])
        name = gettext(DAY_NAMES[day], locale)
        parts.append(f"{name} {spans or gettext('closed', locale)}")
    return "; ".join(parts)


def greeting(profile: BusinessProfile, values: dict[str, Any]) -> str:
    """Welcome, short introduction, catalog link and how to reach support."""
    if profile.greeting_text:
        return fill(profile.greeting_text, values)
    locale = profile.locale
    lines = [
        gettext("Hello {name}, welcome to {business}!", locale, **values)
        if values.get("business")
        else gettext("Hello {name}, welcome!", locale, **values)
    ]
    if profile.description:
        lines.append(profile.description)
    if profile.catalog_url:
        lines.append(gettext("See our catalog: {catalog}", locale, **values))
    if profile.support_contact:
        lines.append(gettext("Need help? {support}", locale, **values))
    else:
        lines.append(gettext("Need help? Just write here and our team will answer.", locale))
    return "\n".join(lines)


def away(profile: BusinessProfile, values: dict[str, Any], reopens: datetime | None) -> str:
    """Closed now, and when the business will reply."""
    locale = profile.locale
    when = (
        format_local(reopens, profile.timezone, locale, "EEEE, d MMMM HH:mm")
        if reopens is not None
        else None
    )
    values = {**values, "reopens": when or ""}
    if profile.away_text:
        return fill(profile.away_text, values)
    if when is None:
        return gettext(
            "Thank you for your message, {name}. We are away right now and will reply as soon "
            "as we are back.",
            locale,
            **values,
        )
    return gettext(
        "Thank you for your message, {name}. We are closed right now; we will reply when we "
        "open again on {reopens}.",
        locale,
        **values,
    )


def duration(minutes: int, locale: str) -> str:
    """ "about 25 minutes" / "about 2 hours"."""
    if minutes < 90:
        return gettext("{n} minutes", locale, n=minutes)
    return gettext("{n} hours", locale, n=round(minutes / 60))


def acknowledgement(profile: BusinessProfile, values: dict[str, Any], est: Estimate) -> str:
    """We got it, who has it, the queue, and the expected wait with what it rests on."""
    locale = profile.locale
    eta = duration(est.minutes, locale)
    if profile.ack_text:
        return fill(profile.ack_text, {**values, "ahead": est.queue_ahead, "eta": eta})
    team = values.get("team")
    first = (
        gettext("Thank you, {name}! Your message has reached our {team} team.", locale, **values)
        if team
        else gettext("Thank you, {name}! Your message has reached our team.", locale, **values)
    )
    if est.agents_online == 0:
        second = gettext(
            "No agent of this team is online right now; {ahead} chat(s) are waiting before yours. "
            "We will answer as soon as someone is back.",
            locale,
            ahead=est.queue_ahead,
        )
    elif est.basis == "history":
        second = gettext(
            "{ahead} chat(s) are waiting before yours; expected reply in about {eta} (based on "
            "the median of our last {samples} first replies).",
            locale,
            ahead=est.queue_ahead,
            eta=eta,
            samples=est.samples,
        )
    else:
        second = gettext(
            "{ahead} chat(s) are waiting before yours; expected reply in about {eta} (a first "
            "estimate: we have no reply history yet).",
            locale,
            ahead=est.queue_ahead,
            eta=eta,
        )
    return f"{first} {second}"


# The placeholders each automatic text may use (shown beside the fields on the shop page).
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "greeting": ("name", "business", "catalog", "support", "website", "hours"),
    "away": ("name", "business", "reopens", "hours", "support", "website"),
    "ack": ("name", "business", "team", "ahead", "eta", "hours"),
}


def previews(
    profile: BusinessProfile, reopens: datetime | None, sample_name: str = "Budi"
) -> dict[str, str]:
    """The greeting, away and acknowledgement texts as a customer would read them now (a
    sample customer, team and queue; the owner's texts or Niaga's defaults)."""
    values = {
        "name": sample_name,
        "business": profile.name,
        "team": gettext("Sales", profile.locale),
        "hours": hours_text(profile),
        "catalog": profile.catalog_url,
        "support": profile.support_contact,
        "website": profile.website,
    }
    sample = Estimate(
        minutes=profile.default_response_minutes,
        queue_ahead=2,
        agents_online=1,
        samples=0,
        basis="default",
    )
    return {
        "greeting": greeting(profile, values),
        "away": away(profile, values, reopens),
        "ack": acknowledgement(profile, values, sample),
    }
