"""Alerts to the owner drawn from the audit log.

A periodic job reads the entries sealed since it last looked (by ``seq``: sealing holds the
chain's head until commit, so ``seq`` is commit order and nothing is skipped) and raises:

- ``new_device``: a sign-in from a browser this person never used before (their first
  sign-in ever is not news);
- ``failed_sign_ins``: an account locked by failed passwords or codes, or
  :data:`MANY_FAILURES` failures from anywhere within :data:`FAILURE_WINDOW`;
- ``mass_export``: an export of customers, messages or chats spanning more than
  :data:`MASS_EXPORT_DAYS` days, or :data:`EXPORTS_PER_HOUR` exports by one person in an hour;
- ``night_admin``: an owner's or admin's change (people, tokens, settings, rules, campaigns,
  second factor, exports) between :data:`NIGHT` hours in the business's time zone.

Each alert is deduplicated by kind and key (one per account per hour, one per entry …), so
reading an entry twice never raises two alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.db import insert_ignoring_conflicts
from niaga.incidents.models import AlertCursor, SecurityAlert
from niaga.security.models import AuditEntry, User

DEVICE_MEMORY = timedelta(days=180)  # a browser unseen for longer counts as new again
MANY_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_AT = 5  # the account's failures that lock it (security.throttle.ACCOUNT_FREE)
MASS_EXPORT_DAYS = 31
EXPORTS_PER_HOUR = 3
BULK_KINDS = ("contacts", "messages", "conversations", "recipients", "audit", "customer")
NIGHT = (22, 6)  # from 22.00 to 06.00
ADMIN_FAMILIES = (
    "user.",
    "invite.",
    "token.created",
    "token.revoked",
    "settings.",
    "rule.",
    "campaign.",
    "2fa.disabled",
    "data.export",
    "secrets.",
    "privacy.",
    "backup.",
)
BATCH = 1000

KINDS = {
    "new_device": "Sign-in from a new device",
    "failed_sign_ins": "Many failed sign-ins",
    "mass_export": "Mass export of data",
    "night_admin": "Admin action at night",
    "meta_event": "Meta sent news about your WhatsApp account",
}
# Meta's account notifications worth telling the owner (the rest stay on the status page).
META_FIELDS = (
    "account_update",
    "phone_number_quality_update",
    "account_alerts",
    "account_review_update",
    "business_capability_update",
    "phone_number_name_update",
)
META_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Raised:
    kind: str
    key: str
    entry: AuditEntry
    details: dict[str, Any]


def _new_device(session: Session, e: AuditEntry, tz: str) -> Raised | None:
    if e.kind != "auth.sign_in" or e.actor_user_id is None:
        return None
    device = str(e.details.get("device") or "")
    earlier = select(AuditEntry.details).where(
        AuditEntry.kind == "auth.sign_in",
        AuditEntry.actor_user_id == e.actor_user_id,
        AuditEntry.seq < e.seq,
        AuditEntry.at > e.at - DEVICE_MEMORY,
    )
    seen = [d.get("device") or "" for d in session.scalars(earlier)]
    if not seen or device in seen:
        return None
    return Raised("new_device", f"seq:{e.seq}", e, {"device": device, "ip": e.ip})


def _failures(session: Session, e: AuditEntry, tz: str) -> Raised | None:
    if e.kind != "auth.sign_in_failed":
        return None
    hour = clock.as_utc(e.at).strftime("%Y%m%d%H")
    email = str(e.details.get("email") or "")
    if int(e.details.get("failures") or 0) >= LOCK_AT:
        return Raised(
            "failed_sign_ins",
            f"locked:{email}:{hour}",
            e,
            {"email": email, "failures": e.details.get("failures"), "ip": e.ip},
        )
    recent = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.kind == "auth.sign_in_failed",
            AuditEntry.at > e.at - FAILURE_WINDOW,
            AuditEntry.seq <= e.seq,
        )
    )
    if (recent or 0) >= MANY_FAILURES:
        return Raised("failed_sign_ins", f"many:{hour}", e, {"failures": recent, "ip": e.ip})
    return None


def _export(session: Session, e: AuditEntry, tz: str) -> Raised | None:
    if e.kind != "data.export" or e.details.get("kind") not in BULK_KINDS:
        return None
    first, last = e.details.get("first"), e.details.get("last")
    if first and last:
        days = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days + 1
        if days > MASS_EXPORT_DAYS:
            return Raised("mass_export", f"seq:{e.seq}", e, {**e.details, "days": days})
    if e.actor_user_id is None and e.via != "api":
        return None
    who = (
        AuditEntry.actor_user_id == e.actor_user_id
        if e.actor_user_id
        else (AuditEntry.actor == e.actor)
    )
    count = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.kind == "data.export",
            who,
            AuditEntry.at > e.at - timedelta(hours=1),
            AuditEntry.seq <= e.seq,
        )
    )
    if (count or 0) >= EXPORTS_PER_HOUR:
        hour = clock.as_utc(e.at).strftime("%Y%m%d%H")
        return Raised(
            "mass_export", f"many:{e.actor}:{hour}", e, {**e.details, "exports_in_hour": count}
        )
    return None


def _night(session: Session, e: AuditEntry, tz: str) -> Raised | None:
    if e.actor_user_id is None or not e.kind.startswith(ADMIN_FAMILIES):
        return None
    local = clock.as_utc(e.at).astimezone(ZoneInfo(tz))
    start, end = NIGHT
    if not (local.hour >= start or local.hour < end):
        return None
    role = session.scalar(select(User.role).where(User.id == e.actor_user_id))
    if role not in ("owner", "admin"):
        return None
    return Raised(
        "night_admin",
        f"seq:{e.seq}",
        e,
        {"action": e.kind, "local_time": local.strftime("%H:%M"), "role": role},
    )


RULES = (_new_device, _failures, _export, _night)


def do_scan(session: Session, tz: str) -> int:
    """Read the entries sealed since the last scan; returns how many alerts were raised."""
    session.execute(insert_ignoring_conflicts(session, AlertCursor.__table__).values(id=1))
    stmt = select(AlertCursor).where(AlertCursor.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    cursor = session.scalars(stmt).one()
    rows = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq > cursor.last_seq)
            .order_by(AuditEntry.seq)
            .limit(BATCH)
        )
    )
    raised = 0
    for entry in rows:
        for rule in RULES:
            found = rule(session, entry, tz)
            if found is None:
                continue
            raised += session.execute(
                insert_ignoring_conflicts(session, SecurityAlert.__table__).values(
                    kind=found.kind,
                    dedupe_key=found.key[:200],
                    audit_seq=entry.seq,
                    at=entry.at,
                    user_id=entry.actor_user_id,
                    details={"actor": entry.actor, **found.details},
                    created_at=clock.now(),
                )
            ).rowcount
    if rows:
        cursor.last_seq = rows[-1].seq or cursor.last_seq
    return raised


def open_alerts(session: Session, limit: int = 50) -> list[SecurityAlert]:
    """Alerts nobody has acknowledged yet, newest first."""
    return list(
        session.scalars(
            select(SecurityAlert)
            .where(SecurityAlert.acknowledged_at.is_(None))
            .order_by(SecurityAlert.id.desc())
            .limit(limit)
        )
    )


def do_acknowledge(session: Session, alert_id: int, user_id: int) -> bool:
    """Mark an alert as seen by ``user_id``."""
    alert = session.get(SecurityAlert, alert_id)
    if alert is None or alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at, alert.acknowledged_by_user_id = clock.now(), user_id
    return True


def do_raise_meta_events(session: Session) -> int:
    """One alert per account notification from Meta (last week, once each, by its id)."""
    from niaga.channels.whatsapp.models import AccountEvent

    since = clock.now() - META_HORIZON
    rows = session.scalars(
        select(AccountEvent)
        .where(AccountEvent.received_at >= since, AccountEvent.field.in_(META_FIELDS))
        .order_by(AccountEvent.id)
        .limit(BATCH)
    ).all()
    raised = 0
    for row in rows:
        raised += (
            session.execute(
                insert_ignoring_conflicts(session, SecurityAlert.__table__).values(
                    kind="meta_event",
                    dedupe_key=f"account-event-{row.id}",
                    audit_seq=0,
                    at=row.occurred_at or row.received_at,
                    user_id=None,
                    details={"actor": "Meta", **meta_summary(row.field, row.event, row.payload)},
                    created_at=clock.now(),
                )
            ).rowcount
            or 0
        )
    return raised


def meta_summary(field: str, event: str | None, payload: dict[str, Any]) -> dict[str, str]:
    """The few facts of a Meta notification a person needs (field, event, what changed)."""
    facts = {"field": field, "event": event or str(payload.get("event") or "")}
    for key in (
        "current_limit",
        "old_limit",
        "requested_verified_name",
        "decision",
        "rejection_reason",
        "ban_info",
        "violation_info",
        "display_phone_number",
    ):
        value = payload.get(key)
        if value not in (None, "", {}):
            facts[key] = str(value)[:200]
    return facts
