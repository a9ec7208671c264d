"""API tokens: random secrets shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.security.models import ROLES, ApiToken

TOKEN_PREFIX = "nga_"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def do_create_token(
    session: Session, *, name: str, role: str, user_id: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the secret (shown to the person once)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        role=role,
        user_id=user_id,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row, secret


def find_active_token(session: Session, secret: str) -> ApiToken | None:
    """The live token for ``secret`` (None when unknown or revoked)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    return row
