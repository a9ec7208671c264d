"""The points ledger: append-only entries; the balance is their sum.

Every credit (earned, adjusted in, refunded) is a *lot* with an expiry; every debit (redeemed,
expired, reversed, adjusted out) is allocated to lots, the soonest-expiring first (a cancelled
order's own lot first), so that expiry takes exactly what is left of a lot and no more. A change
takes the customer's account row lock first (``FOR UPDATE`` on PostgreSQL; SQLite has one
writer), so two changes of one customer never interleave and the balance never goes negative.
Entries with a ``key`` (``order:12:spend``) are written once: a retry or a second worker finds
the key taken and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.db import insert_ignoring_conflicts
from niaga.core.errors import ConflictError
from niaga.core.tokens import readable_code
from niaga.loyalty.models import CREDIT_KINDS, DEBIT_KINDS, LoyaltyAccount, LoyaltyAllocation
from niaga.loyalty.models import LoyaltyEntry as Entry

YEAR = timedelta(days=365)


class NotEnoughPoints(ConflictError):
    """A debit larger than the balance."""


@dataclass(frozen=True)
class Lot:
    id: int
    remaining: int
    expires_at: datetime | None


def referral_code() -> str:
    """``REF-7KQ2MX``: what a friend sends to say who invited them."""
    return "REF-" + readable_code(6)


def account(session: Session, contact_id: int, *, lock: bool = True) -> LoyaltyAccount:
    """The customer's account (made on first use), locked for this transaction."""
    stmt = select(LoyaltyAccount).where(LoyaltyAccount.contact_id == contact_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if found is not None:
        return found
    for _attempt in range(5):
        session.execute(
            insert_ignoring_conflicts(session, LoyaltyAccount.__table__).values(
                contact_id=contact_id, referral_code=referral_code(), created_at=clock.now()
            )
        )
        found = session.scalars(stmt.execution_options(populate_existing=True)).first()
        if found is not None:
            return found
    raise RuntimeError("could not make a loyalty account")


def balance(session: Session, contact_id: int) -> int:
    """Points the customer holds now (the sum of every entry)."""
    total = session.scalar(select(func.sum(Entry.points)).where(Entry.contact_id == contact_id))
    return int(total or 0)


def earned_since(session: Session, contact_id: int, since: datetime) -> int:
    """Points earned since ``since`` less what cancellations took back (tiers count this)."""
    total = session.scalar(
        select(func.sum(Entry.points)).where(
            Entry.contact_id == contact_id,
            Entry.kind.in_(("earned", "reversed")),
            Entry.created_at >= since,
        )
    )
    return max(0, int(total or 0))


def lots(session: Session, contact_id: int) -> list[Lot]:
    """The customer's credits with points left, soonest expiry first (never-expiring last)."""
    taken = (
        select(LoyaltyAllocation.lot_id, func.sum(LoyaltyAllocation.points).label("taken"))
        .join(Entry, Entry.id == LoyaltyAllocation.lot_id)
        .where(Entry.contact_id == contact_id)
        .group_by(LoyaltyAllocation.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(Entry.id, Entry.points - func.coalesce(taken.c.taken, 0), Entry.expires_at)
        .outerjoin(taken, taken.c.lot_id == Entry.id)
        .where(Entry.contact_id == contact_id, Entry.points > 0)
        .order_by(Entry.expires_at.is_(None), Entry.expires_at, Entry.id)
    )
    return [Lot(i, int(left), at) for i, left, at in rows if left > 0]


def by_key(session: Session, key: str) -> Entry | None:
    return session.scalars(select(Entry).where(Entry.key == key)).first()


def expiry_for(months: int, at: datetime | None = None) -> datetime | None:
    """When a lot made at ``at`` expires (None: never)."""
    if months <= 0:
        return None
    return clock.as_utc(at or clock.now()) + relativedelta(months=months)


def _add(session: Session, entry: Entry) -> Entry | None:
    """Write ``entry``; None when its key is taken (callers look the key up first; the unique
    index settles a race)."""
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:  # the same key, written by another transaction just now
        return None
    return entry


def do_credit(
    session: Session,
    contact_id: int,
    kind: str,
    points: int,
    *,
    expires_at: datetime | None,
    key: str | None = None,
    source: str | None = None,
    order_id: int | None = None,
    actor_user_id: int | None = None,
    reason: str | None = None,
) -> Entry | None:
    """Add ``points`` (> 0) as a new lot; None when ``key`` was already written."""
    if kind not in CREDIT_KINDS or points <= 0:
        raise ValueError(f"not a credit: {kind} {points}")
    account(session, contact_id)
    if key is not None and by_key(session, key) is not None:
        return None
    return _add(
        session,
        Entry(
            contact_id=contact_id,
            kind=kind,
            points=points,
            source=source,
            key=key,
            order_id=order_id,
            expires_at=expires_at,
            actor_user_id=actor_user_id,
            reason=reason,
            created_at=clock.now(),
        ),
    )


def do_debit(
    session: Session,
    contact_id: int,
    kind: str,
    points: int,
    *,
    key: str | None = None,
    first_lot: int | None = None,
    partial: bool = False,
    order_id: int | None = None,
    actor_user_id: int | None = None,
    reason: str | None = None,
) -> Entry | None:
    """Take ``points`` (> 0) from the customer's lots. More than the balance is refused, or,
    with ``partial``, the balance is taken (None when it is zero or ``key`` was written)."""
    if kind not in DEBIT_KINDS or points <= 0:
        raise ValueError(f"not a debit: {kind} {points}")
    account(session, contact_id)
    if key is not None and by_key(session, key) is not None:
        return None
    available = lots(session, contact_id)
    if first_lot is not None:
        available.sort(key=lambda lot: lot.id != first_lot)
    held = sum(lot.remaining for lot in available)
    if points > held:
        if not partial:
            raise NotEnoughPoints(
                "not_enough_points",
                "Not enough points: {held} held, {wanted} needed.",
                held=held,
                wanted=points,
            )
        points = held
    if points <= 0:
        return None
    entry = _add(
        session,
        Entry(
            contact_id=contact_id,
            kind=kind,
            points=-points,
            key=key,
            order_id=order_id,
            actor_user_id=actor_user_id,
            reason=reason,
            created_at=clock.now(),
        ),
    )
    if entry is None:
        return None
    left = points
    for lot in available:
        take = min(left, lot.remaining)
        if take <= 0:
            continue
        session.add(LoyaltyAllocation(debit_id=entry.id, lot_id=lot.id, points=take))
        left -= take
        if left == 0:
            break
    session.flush()
    return entry


def do_expire(session: Session, contact_id: int, now: datetime | None = None) -> int:
    """Expire what is left of the customer's lots past their date; the points expired.

    Each expired lot gets one ``expired`` entry (key ``expire:<lot>``) allocated to that lot
    alone, all written in one flush under the account's lock."""
    now = clock.as_utc(now or clock.now())
    account(session, contact_id)
    due = [
        lot
        for lot in lots(session, contact_id)
        if lot.expires_at is not None and clock.as_utc(lot.expires_at) <= now
    ]
    if not due:
        return 0
    keys = {lot.id: f"expire:{lot.id}" for lot in due}
    done = set(session.scalars(select(Entry.key).where(Entry.key.in_(list(keys.values())))))
    written = [
        (
            lot,
            Entry(
                contact_id=contact_id,
                kind="expired",
                points=-lot.remaining,
                key=keys[lot.id],
                reason="expiry",
                created_at=clock.now(),
            ),
        )
        for lot in due
        if keys[lot.id] not in done
    ]
    session.add_all([entry for _, entry in written])
    session.flush()
    session.add_all(
        [
            LoyaltyAllocation(debit_id=entry.id, lot_id=lot.id, points=lot.remaining)
            for lot, entry in written
        ]
    )
    session.flush()
    return sum(lot.remaining for lot, _ in written)


def contacts_with_lots_due(
    session: Session,
    now: datetime,
    *,
    since: datetime | None = None,
    after: int = 0,
    limit: int = 50,
) -> list[int]:
    """Customers (ids above ``after``, ascending) with a lot whose date passed in
    (``since``, ``now``] — every due lot when ``since`` is None. An index range on the lots'
    expiry, so an hourly pass reads the hour's lots, not the ledger."""
    where = [
        Entry.contact_id > after,
        Entry.points > 0,
        Entry.expires_at.is_not(None),
        Entry.expires_at <= now,
    ]
    if since is not None:
        where.append(Entry.expires_at > since)
    return list(
        session.scalars(
            select(Entry.contact_id)
            .where(*where)
            .group_by(Entry.contact_id)
            .order_by(Entry.contact_id)
            .limit(limit)
        )
    )
