"""The owner's own costs (ads, staff, other) per day, entered in the app or through the API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.analytics.models import COST_KINDS, OwnerCost
from niaga.core.errors import DomainError, NotFoundError

MAX_AMOUNT = 10**12  # rupiah


def do_add(
    session: Session,
    *,
    spent_on: date,
    kind: str,
    amount: int,
    note: str | None = None,
    user_id: int | None = None,
) -> OwnerCost:
    """Record a cost of ``amount`` rupiah on the local day ``spent_on``."""
    if kind not in COST_KINDS:
        raise DomainError("cost_kind", "Choose ads, staff or other.", field="kind")
    if not 0 < amount <= MAX_AMOUNT:
        raise DomainError("cost_amount", "Give an amount in rupiah above zero.", field="amount")
    cost = OwnerCost(
        spent_on=spent_on,
        kind=kind,
        amount=amount,
        note=(note or "").strip()[:200] or None,
        created_by_user_id=user_id,
    )
    session.add(cost)
    session.flush()
    return cost


def do_delete(session: Session, cost_id: int) -> None:
    """Remove a cost entered by mistake."""
    cost = session.get(OwnerCost, cost_id) if 0 < cost_id < 2**63 else None
    if cost is None:
        raise NotFoundError("cost_not_found", "Cost not found.")
    session.delete(cost)
    session.flush()


def between(session: Session, first: date, last: date) -> list[OwnerCost]:
    """The costs of the local days ``first`` to ``last``, newest first."""
    return list(
        session.scalars(
            select(OwnerCost)
            .where(OwnerCost.spent_on >= first, OwnerCost.spent_on <= last)
            .order_by(OwnerCost.spent_on.desc(), OwnerCost.id.desc())
        )
    )
