"""Order reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.orders.models import Order


def list_orders(
    session: Session,
    *,
    status: str | None = None,
    conversation_id: int | None = None,
    contact_id: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[Order]:
    """Orders, newest first; page with ``before_id``."""
    stmt = select(Order).order_by(Order.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Order.status == status)
    if conversation_id is not None:
        stmt = stmt.where(Order.conversation_id == conversation_id)
    if contact_id is not None:
        stmt = stmt.where(Order.contact_id == contact_id)
    if before_id is not None:
        stmt = stmt.where(Order.id < before_id)
    return list(session.scalars(stmt))
