"""The business profile: read, change, open-now, and sync to WhatsApp through the Graph API."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import hours as hours_mod
from niaga.automation.models import BusinessProfile
from niaga.automation.schemas import ProfileIn, ProfilePublic
from niaga.core import clock, images
from niaga.core.db import on_commit, transaction
from niaga.core.errors import DomainError
from niaga.core.jobs import store as jobs
from niaga.security import audit

log = logging.getLogger(__name__)
PROFILE_ID = 1
SYNC_JOB = "automation.profile_sync"  # a durable job, scheduled when the profile changes
# WhatsApp's profile photo: square, at least 192 px (Meta recommends 640 px), at most 5 MB.
PHOTO_DIR = "profile"
PHOTO_SIDE = 640
PHOTO_MIN_SIDE = 192
PHOTO_MAX_BYTES = 5 * 2**20
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
        ack_text="",
        holiday_names={},
        photo_file=None,
        photo_synced_file=None,
        greeting_after_days=14,
        default_response_minutes=15,
        presence_minutes=0,
    )


def load_profile(session: Session) -> BusinessProfile:
    """The stored profile, or an unsaved default one (never writes: safe in reads)."""
    return session.get(BusinessProfile, PROFILE_ID) or default_profile()


def do_update_profile(session: Session, changes: ProfileIn) -> BusinessProfile:
    """Apply the given fields; the WhatsApp profile is synced by the worker after commit."""
    profile = _stored(session)
    data = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "hours" in data:
        data["hours"] = {day: [list(i) for i in v] for day, v in data["hours"].items()}
    if "holidays" in data:
        data["holidays"] = sorted({d.isoformat() for d in data["holidays"]})
    if "holiday_names" in data:
        data["holiday_names"] = {d.isoformat(): n for d, n in data["holiday_names"].items() if n}
    changed = sorted(k for k, v in data.items() if getattr(profile, k, None) != v)
    for key, value in data.items():
        setattr(profile, key, value)
    if changed:
        audit.record(
            session, "settings.changed", target=("settings", "profile"), details={"fields": changed}
        )
    if set(data) & {"name", "description", "about", "address", "email", "website", "category"}:
        _request_sync(session, profile)
    session.flush()
    return profile


def _request_sync(session: Session, profile: BusinessProfile) -> None:
    profile.sync_requested_at = clock.now()
    jobs.schedule(session, SYNC_JOB, key=SYNC_JOB)


def do_set_photo(session: Session, data: bytes, data_dir: Path) -> BusinessProfile:
    """Store a new profile photo (a centred square, 640 px JPEG, in the media folder, so
    backups keep it) and have the worker send it to WhatsApp; the old file goes at commit."""
    image = images.square(images.open_image(data, max_bytes=PHOTO_MAX_BYTES))
    if image.width < PHOTO_MIN_SIDE:
        raise DomainError(
            "photo_too_small",
            "The photo must be at least {px} pixels wide and high.",
            px=PHOTO_MIN_SIDE,
        )
    profile = _stored(session)
    name = f"{PHOTO_DIR}/photo-{uuid.uuid4().hex}.jpg"
    path = data_dir / "media" / name
    images.remove_on_rollback(session, [path])
    images.save_jpeg(image, PHOTO_SIDE, path)
    old = profile.photo_file
    profile.photo_file = name
    if old and old != profile.photo_synced_file:
        on_commit(session, lambda: (data_dir / "media" / old).unlink(missing_ok=True))
    audit.record(
        session, "settings.changed", target=("settings", "profile"), details={"fields": ["photo"]}
    )
    _request_sync(session, profile)
    session.flush()
    return profile


def photo_path(profile: BusinessProfile, data_dir: Path) -> Path | None:
    """The stored photo's file, if there is one."""
    if not profile.photo_file:
        return None
    path = data_dir / "media" / profile.photo_file
    return path if path.is_file() else None


def national_holidays(year: int, locale: str = "id") -> dict[str, str]:
    """Indonesia's national holidays of ``year`` from the ``holidays`` package (Lebaran and the
    other Islamic dates are its estimates, marked so; the owner corrects them on the page)."""
    import holidays

    language = "id" if locale == "id" else "en_US"
    found = holidays.country_holidays("ID", years=year, language=language)
    return {day.isoformat(): str(name) for day, name in sorted(found.items())}


def do_add_national_holidays(session: Session, year: int, locale: str = "id") -> int:
    """Add ``year``'s national holidays to the profile (kept names win); how many were new."""
    profile = _stored(session)
    found = national_holidays(year, locale)
    have = set(profile.holidays or [])
    names = dict(profile.holiday_names or {})
    added = [day for day in found if day not in have]
    for day, name in found.items():
        names.setdefault(day, name)
    profile.holidays = sorted(have | set(found))
    profile.holiday_names = names
    audit.record(
        session,
        "settings.changed",
        target=("settings", "profile"),
        details={"fields": ["holidays"], "national_year": year, "added": len(added)},
    )
    session.flush()
    return len(added)


def do_set_holiday(session: Session, day: date, name: str, *, remove: bool = False) -> None:
    """Add (or rename) one holiday, or remove it."""
    profile = _stored(session)
    key = day.isoformat()
    days = set(profile.holidays or [])
    names = dict(profile.holiday_names or {})
    if remove:
        days.discard(key)
        names.pop(key, None)
    else:
        days.add(key)
        if name.strip():
            names[key] = name.strip()[:120]
    profile.holidays = sorted(days)
    profile.holiday_names = names
    audit.record(
        session,
        "settings.changed",
        target=("settings", "profile"),
        details={"fields": ["holidays"], "day": key, "removed": remove},
    )
    session.flush()


def _stored(session: Session) -> BusinessProfile:
    profile = session.get(BusinessProfile, PROFILE_ID)
    if profile is None:
        profile = default_profile()
        session.add(profile)
    return profile


def zone(profile: BusinessProfile) -> ZoneInfo:
    """The business's time zone."""
    return ZoneInfo(profile.timezone)


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


async def sync_profile(
    factory: sessionmaker[Session], channel: Any, phone_number_id: str, data_dir: Path | None = None
) -> bool:
    """Push the profile to WhatsApp if a change waits; True when something was sent.

    A new photo is uploaded first (Resumable Upload API) and named by its handle. The Graph
    calls run outside any transaction; the outcome is recorded afterwards, and a failure raises
    :class:`ProfileSyncError` (its job is tried again later).
    """
    import asyncio

    def pending() -> tuple[datetime, dict[str, Any], str | None, bytes | None] | None:
        with factory() as session:
            p = session.get(BusinessProfile, PROFILE_ID)
            if p is None or p.sync_requested_at is None:
                return None
            if p.synced_at is not None and p.synced_at >= p.sync_requested_at:
                return None
            photo: bytes | None = None
            if data_dir is not None and p.photo_file and p.photo_file != p.photo_synced_file:
                found = photo_path(p, data_dir)
                photo = found.read_bytes() if found else None
            return p.sync_requested_at, graph_fields(p), p.photo_file, photo

    found = await asyncio.to_thread(pending)
    if found is None:
        return False
    requested_at, fields, photo_file, photo = found
    error: str | None = None
    try:
        if photo is not None:
            fields["profile_picture_handle"] = await channel.upload_file(
                photo, "image/jpeg", "profile.jpg"
            )
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
                if photo is not None and data_dir is not None:
                    old = p.photo_synced_file
                    p.photo_synced_file = photo_file
                    if old and old not in (photo_file, p.photo_file):
                        on_commit(
                            session, lambda: (data_dir / "media" / old).unlink(missing_ok=True)
                        )

    await asyncio.to_thread(record)
    if error is not None:
        raise ProfileSyncError(error)
    return True
