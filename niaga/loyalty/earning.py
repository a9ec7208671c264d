"""Points for what customers do: spending and completed orders (granted when an order reaches
"selesai", in the order's own transaction, and taken back if it is cancelled afterwards), CSAT
answers and reviews, and a referred friend's first completed order. Each earning has a key, so
it is granted once however often it is retried, and each rule's caps per day and per customer
hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.loyalty import ledger, program
from niaga.loyalty.models import LoyaltyAccount, LoyaltyRedemption
from niaga.loyalty.models import LoyaltyEntry as Entry


@dataclass(frozen=True)
class Earned:
    """What one occurrence granted, per customer."""

    contact_id: int
    points: int
    source: str


def _day_start(at: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    local = clock.as_utc(at).astimezone(zone)
    return datetime.combine(local.date(), time(), zone)


def _earned(session: Session, contact_id: int, source: str, since: datetime | None) -> int:
    where = [Entry.contact_id == contact_id, Entry.source == source, Entry.kind == "earned"]
    if since is not None:
        where.append(Entry.created_at >= since)
    return int(session.scalar(select(func.sum(Entry.points)).where(*where)) or 0)


def capped(
    session: Session, contact_id: int, rule: program.EarningRule, points: int, timezone: str
) -> int:
    """``points`` cut to what the rule's caps still allow this customer (the account is
    locked by the caller, so two awards cannot both pass a cap)."""
    now = clock.now()
    if rule.max_per_day is not None:
        today = _earned(session, contact_id, rule.source, _day_start(now, timezone))
        points = min(points, rule.max_per_day - today)
    if rule.max_per_customer is not None:
        ever = _earned(session, contact_id, rule.source, None)
        points = min(points, rule.max_per_customer - ever)
    return max(0, points)


def do_award(
    session: Session,
    contact_id: int,
    source: str,
    key: str,
    *,
    amount: int | None = None,
    order_id: int | None = None,
    timezone: str = "Asia/Jakarta",
    reason: str | None = None,
) -> Earned | None:
    """Grant the points the ``source`` rule gives (for ``amount`` Rupiah when it is the spend
    rule), within its caps, once per ``key``."""
    plan = program.load(session)
    rule = program.rule_for(plan, source)
    if not plan.enabled or rule is None:
        return None
    points = rule.points
    if rule.per_rupiah is not None:
        points = (max(0, amount or 0) // rule.per_rupiah) * rule.points
    ledger.account(session, contact_id)  # the lock comes before the caps are read
    points = capped(session, contact_id, rule, points, timezone)
    if points <= 0:
        return None
    entry = ledger.do_credit(
        session,
        contact_id,
        "earned",
        points,
        expires_at=ledger.expiry_for(plan.expiry_months),
        key=key,
        source=source,
        order_id=order_id,
        reason=reason,
    )
    return Earned(contact_id, points, source) if entry is not None else None


def do_order_completed(
    session: Session, *, order_id: int, contact_id: int, total: int, timezone: str
) -> list[Earned]:
    """An order reached "selesai": spend and order points for the customer, and the referral
    points for whoever invited them when this is their first completed order."""
    granted = [
        do_award(
            session,
            contact_id,
            "spend",
            f"order:{order_id}:spend",
            amount=total,
            order_id=order_id,
            timezone=timezone,
        ),
        do_award(
            session,
            contact_id,
            "order",
            f"order:{order_id}:order",
            order_id=order_id,
            timezone=timezone,
        ),
    ]
    invited = session.get(LoyaltyAccount, contact_id)
    if invited is not None and invited.referred_by_contact_id is not None:
        granted.append(
            do_award(
                session,
                invited.referred_by_contact_id,
                "referral",
                f"referral:{contact_id}",  # once per invited friend, on their first order
                order_id=order_id,
                timezone=timezone,
            )
        )
    return [g for g in granted if g is not None]


def do_order_cancelled(session: Session, *, order_id: int) -> int:
    """A completed order was cancelled: take back every point it earned (its own lot first;
    what was already spent cannot be taken, the balance never goes below zero), and release
    the reward codes it used. Returns the points taken back."""
    taken = 0
    earned = session.scalars(
        select(Entry).where(Entry.order_id == order_id, Entry.kind == "earned").order_by(Entry.id)
    ).all()
    for entry in earned:
        debit = ledger.do_debit(
            session,
            entry.contact_id,
            "reversed",
            entry.points,
            key=f"reverse:{entry.id}",
            first_lot=entry.id,
            partial=True,
            order_id=order_id,
            reason="order cancelled",
        )
        if debit is not None:
            taken -= debit.points
    now = clock.now()
    for redemption in session.scalars(
        select(LoyaltyRedemption).where(
            LoyaltyRedemption.used_order_id == order_id, LoyaltyRedemption.state == "used"
        )
    ):
        redemption.state = "issued" if clock.as_utc(redemption.expires_at) > now else "expired"
        redemption.used_at = None
        redemption.used_order_id = None
        redemption.used_by_user_id = None
        redemption.discount = 0
    session.flush()
    return taken
