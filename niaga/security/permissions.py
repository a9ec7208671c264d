"""Fine permissions on top of the four roles: exporting data, seeing customers' numbers in
full, sending campaigns, changing settings.

Each role starts with its usual set; an owner may take a permission from a person (an admin
who must not export, an agent who needs no numbers) or give one the role lacks. Owners keep
every permission. A token acts with what both its role and the person who made it may do.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from niaga.core.errors import DomainError
from niaga.security import audit
from niaga.security.models import ApiToken, User

PERMISSIONS: dict[str, str] = {
    "export_data": "Export data",
    "see_phone_numbers": "See customers' numbers in full",
    "send_campaigns": "Send campaigns",
    "change_settings": "Change settings",
}
ALL = frozenset(PERMISSIONS)
DEFAULTS: dict[str, frozenset[str]] = {
    "owner": ALL,
    "admin": ALL,
    "agent": frozenset({"see_phone_numbers"}),
    "analyst": frozenset({"export_data"}),
}


def granted(role: str, overrides: Mapping[str, bool] | None = None) -> frozenset[str]:
    """What a role has, with a person's own grants and withdrawals applied."""
    if role == "owner":
        return ALL
    have = set(DEFAULTS.get(role, frozenset()))
    for key, on in (overrides or {}).items():
        if key in PERMISSIONS:
            (have.add if on else have.discard)(key)
    return frozenset(have)


def of_user(user: User) -> frozenset[str]:
    return granted(user.role, user.permissions or {})


def has(user: User | None, permission: str) -> bool:
    return user is not None and permission in of_user(user)


def of_token(session: Session, token: ApiToken) -> frozenset[str]:
    """A token may do what its role may, and no more than the person who made it."""
    mine = granted(token.role)
    maker = session.get(User, token.user_id) if token.user_id is not None else None
    return mine & of_user(maker) if maker is not None else mine


def do_set(session: Session, user: User, changes: Mapping[str, bool]) -> None:
    """Give or take permissions from a person (not from an owner)."""
    if user.role == "owner":
        raise DomainError("owner_permissions", "An owner always has every permission.")
    unknown = sorted(set(changes) - set(PERMISSIONS))
    if unknown:
        raise DomainError("permission_unknown", "Unknown permission: {name}.", name=unknown[0])
    before = of_user(user)
    defaults = DEFAULTS.get(user.role, frozenset())
    # Keep only what differs from the role, so a role's defaults can change later.
    user.permissions = {k: v for k, v in changes.items() if (k in defaults) != v}
    after = of_user(user)
    if before != after:
        audit.record(
            session,
            "user.permissions",
            target=("user", user.id),
            details={"given": sorted(after - before), "taken": sorted(before - after)},
        )
