"""Slowing down password guessing: failed sign-ins counted per account and per address.

After ``ACCOUNT_FREE`` failures for one email address (``ADDRESS_FREE`` from one IP address)
each further failure locks that key for a delay that doubles, from 30 seconds up to an hour.
While locked, a sign-in is refused before the password is checked, so guessing gains nothing,
and the refusal does not extend the lock (the rightful owner gets back in when it ends).
A successful sign-in clears the account's count; counts are forgotten after a quiet day.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.security import audit
from niaga.security.models import SignInThrottle

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{email.strip().lower()[:320]}", ACCOUNT_FREE)]
    if ip:
        keys.append((f"ip:{ip[:64]}", ADDRESS_FREE))
    return keys


def delay_after(failures: int, free: int) -> timedelta | None:
    """How long a key is locked after its ``failures``-th failure (None: not yet)."""
    if failures < free:
        return None
    return min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - free, 20))


def locked_for(session: Session, email: str, ip: str | None) -> timedelta | None:
    """The time left on the longest lock for this account or address (None: not locked)."""
    now = clock.now()
    keys = [k for k, _ in _keys(email, ip)]
    until = [
        row.locked_until
        for row in session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))
        if row.locked_until is not None and row.locked_until > now
    ]
    return max(until) - now if until else None


def do_record_failure(
    session: Session, email: str, ip: str | None, *, reason: str = "password"
) -> None:
    """Count a failed sign-in for the account and the address, locking them when due; the
    audit log gets the attempt (``reason``: wrong password, or a second factor)."""
    now = clock.now()
    failures = 0
    for key, free in _keys(email, ip):
        row = session.get(SignInThrottle, key)
        if row is None:
            row = SignInThrottle(key=key, failures=0, first_failure_at=now, last_failure_at=now)
            try:
                with session.begin_nested():
                    session.add(row)
                    session.flush()
            except IntegrityError:  # another request counted the first failure at once
                row = session.get(SignInThrottle, key, populate_existing=True)
                if row is None:
                    continue
        elif now - row.last_failure_at > FORGET_AFTER:
            row.failures, row.first_failure_at = 0, now
        row.failures += 1
        row.last_failure_at = now
        delay = delay_after(row.failures, free)
        if delay is not None:
            row.locked_until = now + delay
        if key.startswith("account:"):
            failures = row.failures
    record_attempt(session, email, ip, reason=reason, failures=failures)
    session.flush()


def record_attempt(
    session: Session, email: str, ip: str | None, *, reason: str, failures: int = 0
) -> None:
    """Write a failed or refused sign-in to the audit log."""
    audit.record(
        session,
        "auth.sign_in_failed",
        actor=audit.AuditActor(label=email.strip().lower()[:200], via="web", ip=ip),
        details={"email": email.strip().lower()[:320], "reason": reason, "failures": failures},
    )


def do_record_success(session: Session, email: str) -> None:
    """The account's owner got in: forget its failures (the address keeps its count)."""
    key = _keys(email, None)[0][0]
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
