"""The owner's security policy: second factor for whom, remembered devices, session timeouts
and a limit of devices per person ("Batasi Akses ke Perangkat")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from niaga.core.errors import DomainError
from niaga.security import audit
from niaga.security.models import SecurityPolicy, User

REQUIRE_2FA = ("off", "admins", "everyone")
GUARD = ("off", "warn", "block")
POLICY_ID = 1


@dataclass(frozen=True)
class Policy:
    """The policy as plain values (the defaults when the owner never saved one)."""

    require_2fa: str = "off"
    remember_days: int = 30
    idle_minutes: int = 14 * 24 * 60
    absolute_hours: int = 30 * 24
    max_devices: int | None = None
    guard_outgoing: str = "warn"
    guard_mask_inbound: bool = False
    guard_allowed: tuple[str, ...] = ()

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.idle_minutes)

    @property
    def absolute(self) -> timedelta:
        return timedelta(hours=self.absolute_hours)

    def needs_2fa(self, user: User) -> bool:
        """Whether ``user`` must use a second factor to sign in."""
        if self.require_2fa == "everyone":
            return True
        return self.require_2fa == "admins" and user.role in ("owner", "admin")


_NONE_SAVED = "niaga_policy_none_saved"


def load(session: Session) -> Policy:
    """The saved policy, or the defaults (never writes). A saved row comes from the session's
    identity map after the first read; "none saved" is remembered for the session too, so a
    request (one transaction) asks the database once."""
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_NONE_SAVED) is transaction:
        return Policy()
    row = session.get(SecurityPolicy, POLICY_ID)
    if row is None:
        session.info[_NONE_SAVED] = transaction  # only for this transaction (held, so unique)
        return Policy()
    return Policy(
        require_2fa=row.require_2fa,
        remember_days=row.remember_days,
        idle_minutes=row.idle_minutes,
        absolute_hours=row.absolute_hours,
        max_devices=row.max_devices,
        guard_outgoing=row.guard_outgoing,
        guard_mask_inbound=row.guard_mask_inbound,
        guard_allowed=tuple(row.guard_allowed or ()),
    )


class PolicyError(DomainError):
    """A policy value out of range."""


def do_save(
    session: Session,
    *,
    require_2fa: str,
    remember_days: int,
    idle_minutes: int,
    absolute_hours: int,
    max_devices: int | None,
    guard_outgoing: str | None = None,
    guard_mask_inbound: bool | None = None,
    guard_allowed: list[str] | tuple[str, ...] | None = None,
) -> Policy:
    """Check and keep the policy; the audit log gets what changed."""
    if require_2fa not in REQUIRE_2FA:
        raise PolicyError("policy_2fa", "Choose off, admins or everyone.", field="require_2fa")
    if not 0 <= remember_days <= 90:
        raise PolicyError(
            "policy_remember", "Remember devices for 0 to 90 days.", field="remember_days"
        )
    if not 5 <= idle_minutes <= 30 * 24 * 60:
        raise PolicyError(
            "policy_idle", "The idle timeout is 5 minutes to 30 days.", field="idle_minutes"
        )
    if not 1 <= absolute_hours <= 90 * 24:
        raise PolicyError(
            "policy_absolute",
            "A session lasts 1 hour to 90 days at most.",
            field="absolute_hours",
        )
    if max_devices is not None and not 1 <= max_devices <= 20:
        raise PolicyError(
            "policy_devices", "Allow 1 to 20 devices per person.", field="max_devices"
        )
    if guard_outgoing is not None and guard_outgoing not in GUARD:
        raise PolicyError("policy_guard", "Choose off, warn or block.", field="guard_outgoing")
    session.info.pop(_NONE_SAVED, None)
    row = session.get(SecurityPolicy, POLICY_ID) or SecurityPolicy(id=POLICY_ID)
    before = load(session)
    if guard_outgoing is not None:
        row.guard_outgoing = guard_outgoing
    if guard_mask_inbound is not None:
        row.guard_mask_inbound = guard_mask_inbound
    if guard_allowed is not None:
        digits = ["".join(ch for ch in a if ch.isdigit()) for a in guard_allowed]
        row.guard_allowed = sorted({d for d in digits if 6 <= len(d) <= 19})
    row.require_2fa, row.remember_days = require_2fa, remember_days
    row.idle_minutes, row.absolute_hours, row.max_devices = (
        idle_minutes,
        absolute_hours,
        max_devices,
    )
    session.add(row)
    session.flush()
    session.info.pop(_NONE_SAVED, None)  # saved now: read it from the session from here on
    after = load(session)
    changed = {
        key: [getattr(before, key), getattr(after, key)]
        for key in before.__dataclass_fields__
        if getattr(before, key) != getattr(after, key)
    }
    if changed:
        audit.record(session, "settings.changed", target=("settings", "security"), details=changed)
    return after
