"""Commands on users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.security.models import ROLES, User
from niaga.security.passwords import hash_password

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
    return user
