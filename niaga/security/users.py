"""Commands on users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.security import audit
from niaga.security.models import ROLES, User
from niaga.security.passwords import hash_password
from niaga.security.sessions import do_end_all_sessions

MIN_PASSWORD_LENGTH = 10


def do_create_user(
    session: Session, *, email: str, name: str, password: str, role: str, locale: str = "id"
) -> User:
    """Create a user with an argon2id-hashed password."""
    email = email.strip().lower()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ValueError("email address is not valid")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalars(select(User.id).where(User.email == email)).first():
        raise ValueError(f"a user with email {email} already exists")
    user = User(
        email=email, name=name, password_hash=hash_password(password), role=role, locale=locale
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
