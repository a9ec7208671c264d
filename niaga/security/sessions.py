"""Browser sign-in: server-side sessions behind an HttpOnly cookie, with a CSRF token each.

The cookie holds a random secret; only its SHA-256 is stored, so a copy of the database
cannot be used to sign in. Sessions slide: each use extends them, up to ``SESSION_TTL``
of inactivity.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.tokens import tokens_equal
from niaga.security import audit
from niaga.security.models import User, WebSession
from niaga.security.passwords import hash_password, verify_password

SESSION_TTL = timedelta(days=14)
TOUCH_EVERY = timedelta(minutes=1)
COOKIE_NAME = "niaga_session"
# Verifying against a real hash when the email is unknown keeps the timing the same.
_DUMMY_HASH = hash_password("not-a-real-password-0")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, else None."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.is_active or not user.password_hash:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def do_start_session(
    session: Session, user: User, *, user_agent: str | None = None, ip: str | None = None
) -> tuple[WebSession, str]:
    """A new session for ``user``; returns the row and the cookie secret."""
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    row = WebSession(
        token_hash=_hash(secret),
        csrf_token=secrets.token_urlsafe(24),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_TTL,
        user_agent=(user_agent or "")[:300] or None,
        ip=ip,
    )
    session.add(row)
    user.last_seen_at = now
    session.flush()
    audit.record(
        session,
        "auth.sign_in",
        actor=audit.AuditActor(label=user.name, via="web", user_id=user.id, ip=ip),
        target=("user", user.id),
        details={"session": row.id, "device": row.user_agent or ""},
    )
    return row, secret


def find_session(session: Session, secret: str | None) -> tuple[WebSession, User] | None:
    """The live session and its active user for a cookie secret, else None."""
    if not secret:
        return None
    row = session.scalars(select(WebSession).where(WebSession.token_hash == _hash(secret))).first()
    if row is None or row.expires_at <= clock.now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def needs_touch(row: WebSession) -> bool:
    """Whether the session's expiry should slide forward now."""
    return clock.now() - row.last_seen_at >= TOUCH_EVERY


def do_touch(session: Session, row: WebSession, user: User) -> None:
    """Slide the session's expiry and stamp the user as seen."""
    now = clock.now()
    row.last_seen_at = now
    row.expires_at = now + SESSION_TTL
    user.last_seen_at = now


def do_end_session(session: Session, secret: str | None) -> None:
    """Sign out: forget the session."""
    if secret:
        ended = session.execute(
            delete(WebSession).where(WebSession.token_hash == _hash(secret))
        ).rowcount
        if ended:
            audit.record(session, "auth.sign_out")


def do_end_all_sessions(session: Session, user_id: int) -> None:
    """Sign a user out everywhere (password change, deactivation, role change)."""
    ended = session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount
    if ended:
        audit.record(
            session, "session.revoked", target=("user", user_id), details={"sessions": ended}
        )


def csrf_ok(row: WebSession, given: str | None) -> bool:
    """Constant-time check of a submitted CSRF token."""
    return tokens_equal(given, row.csrf_token)
