"""API tokens: random secrets shown once, stored as SHA-256; each expires and can be revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError, NotFoundError
from niaga.security import audit
from niaga.security.models import ROLES, ApiToken

TOKEN_PREFIX = "nga_"
DEFAULT_DAYS = 90
MAX_DAYS = 730


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenError(DomainError, ValueError):
    """A token that cannot be made as asked."""


def do_create_token(
    session: Session,
    *,
    name: str,
    role: str,
    user_id: int | None = None,
    days: int = DEFAULT_DAYS,
) -> tuple[ApiToken, str]:
    """Create a token valid for ``days``; returns the row and the secret (shown once)."""
    if role not in ROLES:
        raise TokenError("unknown_role", "Unknown role {role}.", field="role", role=repr(role))
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(
            "token_days",
            "A token is valid for 1 to {max} days.",
            field="days",
            max=MAX_DAYS,
        )
    name = " ".join(name.split())[:200]
    if not name:
        raise TokenError("name_required", "The name is required.", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(
        name=name,
        role=role,
        user_id=user_id,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "token.created",
        target=("token", row.id),
        details={"name": name, "role": role, "prefix": row.prefix, "days": days},
    )
    return row, secret


def find_active_token(session: Session, secret: str) -> ApiToken | None:
    """The live token for ``secret`` (None when unknown, revoked or expired)."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= clock.now():
        return None
    return row


def find_token(session: Session, ref: str) -> ApiToken:
    """A token by its id or the start of its secret (``nga_AbC12``, as listed)."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 19:
        row = session.get(ApiToken, int(ref))
    else:
        rows = list(
            session.scalars(
                select(ApiToken).where(or_(ApiToken.prefix == ref[:10], ApiToken.name == ref))
            )
        )
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise NotFoundError("token_not_found", "No such API token: {ref}", ref=ref[:40])
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, newest first (revoked and expired ones too)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def do_revoke_token(session: Session, token: ApiToken) -> bool:
    """Revoke ``token`` at once; False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = clock.now()
    session.flush()
    audit.record(
        session,
        "token.revoked",
        target=("token", token.id),
        details={"name": token.name, "prefix": token.prefix},
    )
    return True
