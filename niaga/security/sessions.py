"""Browser sign-in: server-side sessions behind an HttpOnly cookie, with a CSRF token each.

The cookie holds a random secret; only its SHA-256 is stored, so a copy of the database
cannot be used to sign in. Sessions slide: each use extends them by the owner's idle timeout
(security.policy), never past the absolute one counted from sign-in. With a limit of devices
per person, a sign-in beyond it is refused (an intruder with the password cannot push the
rightful person out); ending a session elsewhere frees a place.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.core.tokens import tokens_equal
from niaga.security import audit, policy
from niaga.security.models import User, WebSession
from niaga.security.passwords import hash_password, verify_password

# The cookie's lifetime; the server ends a session sooner, by the owner's timeouts.
SESSION_TTL = timedelta(days=90)
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


class DeviceLimit(DomainError):
    """Signed in on as many devices as the owner allows."""

    status_code = 409


def do_start_session(
    session: Session, user: User, *, user_agent: str | None = None, ip: str | None = None
) -> tuple[WebSession, str]:
    """A new session for ``user``; returns the row and the cookie secret.

    Raises :class:`DeviceLimit` when the policy's devices per person are all in use.
    """
    rules = policy.load(session)
    if rules.max_devices is not None and len(live_sessions(session, user.id)) >= rules.max_devices:
        audit.record(
            session,
            "auth.sign_in_failed",
            actor=audit.AuditActor(label=user.name, via="web", user_id=user.id, ip=ip),
            details={"email": user.email, "reason": "device_limit", "failures": 0},
        )
        raise DeviceLimit(
            "device_limit",
            "You are signed in on {n} devices, the most allowed. Sign out on one of them, "
            "or ask the owner to end a session.",
            n=rules.max_devices,
        )
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    row = WebSession(
        token_hash=_hash(secret),
        csrf_token=secrets.token_urlsafe(24),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=min(now + rules.idle, now + rules.absolute),
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
    if row is None or not _live(row, policy.load(session), clock.now()):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def needs_touch(row: WebSession) -> bool:
    """Whether the session's expiry should slide forward now."""
    return clock.now() - row.last_seen_at >= TOUCH_EVERY


def _live(row: WebSession, rules: policy.Policy, now: datetime) -> bool:
    """Not expired, not idle too long, not older than the absolute timeout (the policy may
    have been tightened since the session began)."""
    return (
        row.expires_at > now
        and row.last_seen_at + rules.idle > now
        and row.created_at + rules.absolute > now
    )


def do_touch(session: Session, row: WebSession, user: User) -> None:
    """Slide the session's expiry (idle timeout, capped by the absolute one); stamp the user."""
    now = clock.now()
    rules = policy.load(session)
    row.last_seen_at = now
    row.expires_at = min(now + rules.idle, row.created_at + rules.absolute)
    user.last_seen_at = now


def live_sessions(session: Session, user_id: int) -> list[WebSession]:
    """A person's signed-in browsers, the most recently seen first."""
    rules, now = policy.load(session), clock.now()
    rows = session.scalars(
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.expires_at > now)
        .order_by(WebSession.last_seen_at.desc())
    )
    return [row for row in rows if _live(row, rules, now)]


def live_counts(session: Session) -> dict[int, int]:
    """How many browsers each person is signed in on."""
    rules, now = policy.load(session), clock.now()
    counts: dict[int, int] = {}
    for row in session.scalars(select(WebSession).where(WebSession.expires_at > now)):
        if _live(row, rules, now):
            counts[row.user_id] = counts.get(row.user_id, 0) + 1
    return counts


def do_end_session_by_id(session: Session, user_id: int, session_id: int) -> bool:
    """End one of ``user_id``'s sessions (from the list of their devices)."""
    ended = session.execute(
        delete(WebSession).where(WebSession.id == session_id, WebSession.user_id == user_id)
    ).rowcount
    if ended:
        audit.record(
            session, "session.revoked", target=("user", user_id), details={"session": session_id}
        )
    return bool(ended)


def do_end_other_sessions(session: Session, user_id: int, keep: int | None) -> int:
    """End every session of ``user_id`` but ``keep`` (this browser)."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    ended = session.execute(stmt).rowcount
    if ended:
        audit.record(
            session, "session.revoked", target=("user", user_id), details={"sessions": ended}
        )
    return ended


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


# ------------------------------------------------------------ between password and code

CHALLENGE_COOKIE = "niaga_2fa"
CHALLENGE_TTL = timedelta(minutes=10)


def _challenge_mac(secret_key: str, user: User, expires: int, nonce: str) -> str:
    message = f"{user.id}.{expires}.{nonce}.{user.password_hash}".encode()
    return hmac.new(secret_key.encode(), b"niaga-2fa-challenge:" + message, "sha256").hexdigest()


def challenge(user: User, secret_key: str) -> str:
    """A cookie value saying "this person gave the right password a moment ago": valid for
    ``CHALLENGE_TTL``, and void once their password changes."""
    expires = int((clock.now() + CHALLENGE_TTL).timestamp())
    nonce = secrets.token_urlsafe(8)
    return f"{user.id}.{expires}.{nonce}.{_challenge_mac(secret_key, user, expires, nonce)}"


def challenged_user(session: Session, value: str | None, secret_key: str) -> User | None:
    """The active user a challenge cookie stands for, while it is valid."""
    parts = (value or "").split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    user_id, expires, nonce, mac = int(parts[0]), int(parts[1]), parts[2], parts[3]
    if expires < clock.now().timestamp() or user_id >= 2**62:
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    expected = _challenge_mac(secret_key, user, expires, nonce)
    return user if hmac.compare_digest(expected, mac) else None
