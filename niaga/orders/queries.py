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


def latest_for_contact(session: Session, contact_id: int) -> Order | None:
    """The customer's newest order (what "where is my order?" is about)."""
    return session.scalars(
        select(Order).where(Order.contact_id == contact_id).order_by(Order.id.desc()).limit(1)
    ).first()


def order_placeholders(order: Order | None, locale: str) -> dict[str, str]:
    """A quick reply's order values: ``{{no_pesanan}}``, ``{{resi}}``, ``{{link_lacak}}``,
    ``{{total}}``, ``{{status_pesanan}}`` (and English names); empty when unknown, so the
    placeholder stays visible to the agent."""
    if order is None:
        return {}
    from niaga.core.i18n import format_idr
    from niaga.orders.notify import status_name

    values = {
        "no_pesanan": f"#{order.number}",
        "resi": order.tracking_number or "",
        "link_lacak": order.tracking_url or "",
        "kurir": order.courier or "",
        "total": format_idr(order.total, locale),
        "status_pesanan": status_name(order.status, locale),
    }
    english = {
        "order_number": "no_pesanan",
        "tracking_number": "resi",
        "tracking_link": "link_lacak",
        "courier": "kurir",
        "order_status": "status_pesanan",
    }
    return {**values, **{en: values[id_] for en, id_ in english.items()}}
