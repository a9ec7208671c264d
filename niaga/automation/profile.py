"""The business profile: read, change, open-now, and sync to WhatsApp through the Graph API."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import hours as hours_mod
from niaga.automation.models import BusinessProfile
from niaga.automation.schemas import ProfileIn, ProfilePublic
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.jobs import store as jobs
from niaga.security import audit

log = logging.getLogger(__name__)
PROFILE_ID = 1
SYNC_JOB = "automation.profile_sync"  # a durable job, scheduled when the profile changes
DEFAULT_HOURS: dict[str, Any] = {
    "mon": [["08:00", "17:00"]],
    "tue": [["08:00", "17:00"]],
    "wed": [["08:00", "17:00"]],
    "thu": [["08:00", "17:00"]],
    "fri": [["08:00", "17:00"]],
    "sat": [["09:00", "14:00"]],
    "sun": [],
}


def default_profile(timezone: str | None = None) -> BusinessProfile:
    """An unsaved profile with Niaga's defaults (used until the owner saves one)."""
    if timezone is None:
        from niaga.core.config import get_settings

        timezone = get_settings().timezone
    return BusinessProfile(
        id=PROFILE_ID,
        name="",
        description="",
        about="",
        address="",
        email="",
        website="",
        category="RETAIL",
        timezone=timezone,
        locale="id",
        hours=DEFAULT_HOURS,
        holidays=[],
        away=False,
        catalog_url="",
        support_contact="",
        greeting_text="",
        away_text="",
        greeting_after_days=14,
        default_response_minutes=15,
        presence_minutes=0,
    )


def load_profile(session: Session) -> BusinessProfile:
    """The stored profile, or an unsaved default one (never writes: safe in reads)."""
    return session.get(BusinessProfile, PROFILE_ID) or default_profile()


def do_update_profile(session: Session, changes: ProfileIn) -> BusinessProfile:
    """Apply the given fields; the WhatsApp profile is synced by the worker after commit."""
    profile = session.get(BusinessProfile, PROFILE_ID)
    if profile is None:
        profile = default_profile()
        session.add(profile)
    data = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "hours" in data:
        data["hours"] = {day: [list(i) for i in v] for day, v in data["hours"].items()}
    if "holidays" in data:
        data["holidays"] = sorted({d.isoformat() for d in data["holidays"]})
    changed = sorted(k for k, v in data.items() if getattr(profile, k, None) != v)
    for key, value in data.items():
        setattr(profile, key, value)
    if changed:
        audit.record(
            session, "settings.changed", target=("settings", "profile"), details={"fields": changed}
        )
    if set(data) & {"name", "description", "about", "address", "email", "website", "category"}:
        profile.sync_requested_at = clock.now()
        jobs.schedule(session, SYNC_JOB, key=SYNC_JOB)
    session.flush()
    return profile


def is_open(profile: BusinessProfile, at: datetime | None = None) -> bool:
    """Open now (by hours and holidays), and not set away by hand."""
    if profile.away:
        return False
    return hours_mod.is_open(
        profile.hours or {}, profile.holidays or [], profile.timezone, at or clock.now()
    )


def next_opening(profile: BusinessProfile, at: datetime | None = None) -> datetime | None:
    """When the business opens next (None when set away by hand or no hours are set)."""
    if profile.away:
        return None
    return hours_mod.next_opening(
        profile.hours or {}, profile.holidays or [], profile.timezone, at or clock.now()
    )


def profile_public(profile: BusinessProfile) -> ProfilePublic:
    """The API view, with open-now computed at this moment."""
    view = ProfilePublic.model_validate(profile)
    view.open_now = is_open(profile)
    view.next_opening = next_opening(profile)
    return view


def graph_fields(profile: BusinessProfile) -> dict[str, Any]:
    """What WhatsApp's business profile holds (Meta's field names)."""
    fields: dict[str, Any] = {
        "about": (profile.about or profile.name)[:139],
        "address": profile.address,
        "description": profile.description[:512],
        "email": profile.email,
        "vertical": profile.category,
    }
    if profile.website:
        fields["websites"] = [profile.website]
    return {k: v for k, v in fields.items() if v not in ("", None)}


class ProfileSyncError(Exception):
    """WhatsApp refused or did not answer the profile update (recorded on the profile)."""


async def sync_profile(factory: sessionmaker[Session], channel: Any, phone_number_id: str) -> bool:
    """Push the profile to WhatsApp if a change waits; True when something was sent.

    The Graph call runs outside any transaction; the outcome is recorded afterwards, and a
    failure raises :class:`ProfileSyncError` (its job is tried again later).
    """
    import asyncio

    def pending() -> tuple[datetime, dict[str, Any]] | None:
        with factory() as session:
            p = session.get(BusinessProfile, PROFILE_ID)
            if p is None or p.sync_requested_at is None:
                return None
            if p.synced_at is not None and p.synced_at >= p.sync_requested_at:
                return None
            return p.sync_requested_at, graph_fields(p)

    found = await asyncio.to_thread(pending)
    if found is None:
        return False
    requested_at, fields = found
    error: str | None = None
    try:
        await channel.update_business_profile(phone_number_id, fields)
    except Exception as exc:  # recorded for the owner; tried again on the next change or tick
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("business profile sync failed: %s", error)

    def record() -> None:
        with transaction(factory) as session:
            p = session.get_one(BusinessProfile, PROFILE_ID)
            p.sync_error = error
            if error is None:
                p.synced_at = max(clock.now(), requested_at)

    await asyncio.to_thread(record)
    if error is not None:
        raise ProfileSyncError(error)
    return True
