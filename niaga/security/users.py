"""Commands on users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.security import audit
from niaga.security.models import ROLES, User
from niaga.security.passwords import MIN_LENGTH, hash_password, verify_password, weakness
from niaga.security.sessions import do_end_all_sessions

MIN_PASSWORD_LENGTH = MIN_LENGTH


class WeakPassword(DomainError, ValueError):
    """A new password too short or too easy to guess; the message says why."""


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse a weak password, saying why (counting the person's own name and email)."""
    from niaga.core.config import get_settings

    reason = weakness(password, [email, name, get_settings().business_name])
    if reason is not None:
        raise WeakPassword("password_weak", reason, field="password", n=MIN_LENGTH)


def do_create_user(
    session: Session, *, email: str, name: str, password: str, role: str, locale: str = "id"
) -> User:
    """Create a user with an argon2id-hashed password."""
    email = email.strip().lower()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ValueError("email address is not valid")
    check_password(password, email=email, name=name)
    if session.scalars(select(User.id).where(User.email == email)).first():
        raise ValueError(f"a user with email {email} already exists")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        locale=locale,
        password_changed_at=clock.now(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.created",
        target=("user", user.id),
        details={"email": email, "role": role},
    )
    return user


def email_recipients(
    session: Session, configured: str, default_locale: str
) -> list[tuple[str, str]]:
    """(address, locale) for owners' mail (reports, alerts): the ``configured`` comma-separated
    addresses in the business's language, or every active owner in their own."""
    listed = [a.strip() for a in configured.split(",") if a.strip()]
    if listed:
        return [(address, default_locale) for address in dict.fromkeys(listed)]
    return [
        (email, locale or default_locale)
        for email, locale in session.execute(
            select(User.email, User.locale)
            .where(User.role == "owner", User.is_active.is_(True))
            .order_by(User.id)
        )
    ]


def do_set_access(
    session: Session, user: User, *, role: str, is_active: bool, capacity: int
) -> bool:
    """Change a user's role, whether they may sign in, and their chat capacity.

    A change of role or of access signs them out everywhere (their next request meets the new
    rights). Returns whether access changed. The caller checks who may grant what.
    """
    before = {"role": user.role, "active": user.is_active, "capacity": user.capacity}
    after = {"role": role, "active": is_active, "capacity": capacity}
    if before == after:
        return False
    user.role, user.is_active, user.capacity = role, is_active, capacity
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit.record(session, "user.changed", target=("user", user.id), details=changed)
    access = "role" in changed or "active" in changed
    if access:
        do_end_all_sessions(session, user.id)
    return access


class PasswordError(DomainError):
    """A password change that cannot be made."""


def check_current_password(user: User, password: str) -> None:
    """Refuse unless ``password`` is ``user``'s own (asked again before sensitive changes)."""
    if not verify_password(user.password_hash, password):
        raise PasswordError(
            "password_wrong", "The current password is wrong.", field="current_password"
        )


def do_change_password(session: Session, user: User, current: str, new: str) -> None:
    """Replace ``user``'s password after checking the current one; every other session of
    theirs ends (the caller starts a fresh one for this browser)."""
    check_current_password(user, current)
    check_password(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.password_changed_at = clock.now()
    audit.record(session, "auth.password_changed", target=("user", user.id))
    do_end_all_sessions(session, user.id)
