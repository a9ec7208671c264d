"""What the app, the chat and the API show of a customer's points."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.loyalty import ledger, program
from niaga.loyalty.models import LoyaltyAccount, LoyaltyRedemption, LoyaltyReward
from niaga.loyalty.models import LoyaltyEntry as Entry

TIER_WINDOW = timedelta(days=365)
SOON = timedelta(days=30)


@dataclass
class Summary:
    """A customer's standing in the program."""

    contact_id: int
    balance: int
    earned_12m: int
    tier: program.Tier | None
    next_tier: program.Tier | None
    to_next: int | None
    expiring_soon: int
    expiring_at: datetime | None
    referral_code: str | None
    history: list[Entry] = field(default_factory=list)
    codes: list[tuple[LoyaltyRedemption, LoyaltyReward]] = field(default_factory=list)


def summary(session: Session, contact_id: int, *, history: int = 20) -> Summary:
    """Balance, tier and the way to the next, points expiring within 30 days, latest entries,
    open codes."""
    plan = program.load(session)
    earned = ledger.earned_since(session, contact_id, clock.now() - TIER_WINDOW)
    tier, following = program.tier_for(plan, earned)
    soon = [
        lot
        for lot in ledger.lots(session, contact_id)
        if lot.expires_at is not None and clock.as_utc(lot.expires_at) <= clock.now() + SOON
    ]
    account = session.get(LoyaltyAccount, contact_id)
    entries = list(
        session.scalars(
            select(Entry)
            .where(Entry.contact_id == contact_id)
            .order_by(Entry.id.desc())
            .limit(history)
        )
    )
    codes = list(
        session.execute(
            select(LoyaltyRedemption, LoyaltyReward)
            .join(LoyaltyReward, LoyaltyReward.id == LoyaltyRedemption.reward_id)
            .where(LoyaltyRedemption.contact_id == contact_id)
            .order_by(LoyaltyRedemption.id.desc())
            .limit(10)
        )
    )
    return Summary(
        contact_id=contact_id,
        balance=ledger.balance(session, contact_id),
        earned_12m=earned,
        tier=tier,
        next_tier=following,
        to_next=(following.threshold - earned) if following else None,
        expiring_soon=sum(lot.remaining for lot in soon),
        expiring_at=min((lot.expires_at for lot in soon if lot.expires_at), default=None),
        referral_code=account.referral_code if account else None,
        history=entries,
        codes=codes,
    )


@dataclass(frozen=True)
class Member:
    contact_id: int
    balance: int
    earned_12m: int
    tier: str | None


def members(session: Session, *, limit: int = 200, offset: int = 0) -> list[Member]:
    """Customers with points, highest balance first."""
    plan = program.load(session)
    since = clock.now() - TIER_WINDOW
    held = func.coalesce(func.sum(Entry.points), 0)
    rows = session.execute(
        select(LoyaltyAccount.contact_id, held.label("held"))
        .outerjoin(Entry, Entry.contact_id == LoyaltyAccount.contact_id)
        .group_by(LoyaltyAccount.contact_id)
        .order_by(held.desc(), LoyaltyAccount.contact_id)
        .limit(limit)
        .offset(offset)
    )
    out = []
    for contact_id, held_points in rows:
        earned = ledger.earned_since(session, contact_id, since)
        tier, _next = program.tier_for(plan, earned)
        out.append(Member(contact_id, int(held_points), earned, tier.name if tier else None))
    return out
