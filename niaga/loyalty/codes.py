"""Using a reward code on an order: exactly once, by the customer it was issued to.

The code is taken by one conditional ``UPDATE … WHERE state = 'issued'``: of any number of
simultaneous attempts, one changes the row and the others find it used. Wrong codes count
against the actor (:mod:`niaga.loyalty.guard`); the refusal is returned, not raised, so the count
commits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.loyalty import guard
from niaga.loyalty.models import LoyaltyRedemption, LoyaltyReward
from niaga.loyalty.rewards import normalise

WHY = {
    "used": "Code {reward_code} was already used.",
    "expired": "Code {reward_code} has expired.",
    "cancelled": "Code {reward_code} was withdrawn.",
}


@dataclass
class Claim:
    """A code taken for an order, or why not."""

    redemption: LoyaltyRedemption | None = None
    reward: LoyaltyReward | None = None
    refusal: DomainError | None = None


def discount_of(reward: LoyaltyReward, subtotal: int, shipping_fee: int) -> int:
    """Rupiah a reward takes off an order (never more than it costs)."""
    ceiling = max(0, subtotal + shipping_fee)
    if reward.kind == "discount_amount":
        return min(reward.value, ceiling)
    if reward.kind == "discount_percent":
        share = Decimal(subtotal) * Decimal(reward.value) / Decimal(100)
        return min(int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP)), ceiling)
    return 0


def find(session: Session, code: str) -> LoyaltyRedemption | None:
    return session.scalars(
        select(LoyaltyRedemption).where(LoyaltyRedemption.code == normalise(code))
    ).first()


def _not_found(code: str) -> NotFoundError:
    return NotFoundError(
        "code_not_found",
        "Code {reward_code} is not valid for this customer.",
        reward_code=code[:24],
    )


def do_claim(
    session: Session,
    code: str,
    *,
    contact_id: int,
    order_id: int,
    actor: str,
    user_id: int | None = None,
) -> Claim:
    """Mark the code used on ``order_id`` if it is open and belongs to ``contact_id``."""
    guard.check(session, actor)  # raised: nothing to keep
    found = find(session, code)
    if found is None or found.contact_id != contact_id:
        guard.do_fail(session, actor)
        return Claim(refusal=_not_found(code))
    now = clock.now()
    taken = session.execute(
        update(LoyaltyRedemption)
        .where(
            LoyaltyRedemption.id == found.id,
            LoyaltyRedemption.state == "issued",
            LoyaltyRedemption.expires_at > now,
        )
        .values(state="used", used_at=now, used_order_id=order_id, used_by_user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(found)
    if taken.rowcount != 1:
        state = "expired" if found.state == "issued" else found.state
        return Claim(
            redemption=found,
            refusal=ConflictError(f"code_{state}", WHY[state], reward_code=found.code),
        )
    return Claim(redemption=found, reward=session.get_one(LoyaltyReward, found.reward_id))
