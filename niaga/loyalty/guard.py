"""Guarding reward codes against guessing: wrong codes are counted per actor (an agent, an API
token, a customer in the chat); after :data:`FREE` within :data:`WINDOW` the actor is refused
for :data:`LOCK`, right code or not, so guessing 40-bit codes gains nothing.

Failures must outlive the request that refused the code: callers return the refusal instead
of raising it, so the count commits with the transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.loyalty.models import LoyaltyCodeGuard

FREE = 10
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


class TooManyAttempts(DomainError):
    """Too many wrong codes: wait."""

    status_code = 429


def check(session: Session, actor: str) -> None:
    """Refuse an actor who tried too many wrong codes lately."""
    row = session.get(LoyaltyCodeGuard, actor)
    if row is not None and row.locked_until and clock.as_utc(row.locked_until) > clock.now():
        minutes = int((clock.as_utc(row.locked_until) - clock.now()).total_seconds() // 60) + 1
        raise TooManyAttempts(
            "too_many_code_attempts",
            "Too many wrong codes. Try again in {minutes} minutes.",
            minutes=minutes,
        )


def do_fail(session: Session, actor: str) -> None:
    """Count a wrong code for ``actor`` (locking it after too many)."""
    now = clock.now()
    row = session.get(LoyaltyCodeGuard, actor)
    if row is None:
        row = LoyaltyCodeGuard(key=actor, failures=0, window_started_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            row = session.get(LoyaltyCodeGuard, actor, populate_existing=True)
            if row is None:
                return
    if now - clock.as_utc(row.window_started_at) > WINDOW:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    if row.failures >= FREE:
        row.locked_until = now + LOCK
    session.flush()
