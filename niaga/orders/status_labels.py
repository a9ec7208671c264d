"""Customers labelled by their latest order's status ("Pesanan: Dikirim"), if the owner wants:
one such label at a time, so a segment or the inbox can pick "everyone waiting for a parcel"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.contacts.models import ContactLabel, Label
from niaga.inbox.organise import do_add_contact_label, do_remove_contact_label, get_or_create_label
from niaga.orders.models import Order
from niaga.orders.notify import status_name

PREFIX = "Pesanan: "
COLORS = {
    "baru": "#2563eb",
    "dikonfirmasi": "#7c3aed",
    "dibayar": "#0891b2",
    "dikirim": "#d97706",
    "selesai": "#059669",
    "dibatalkan": "#6b7280",
}


def label_name(status: str) -> str:
    """ "Pesanan: Dikirim" (labels are the shop's data: always in Indonesian)."""
    return PREFIX + status_name(status, "id")


def do_label_by_status(session: Session, order: Order) -> None:
    """Give the customer the label of ``order``'s status and take the other status labels off,
    when ``order`` is their latest order."""
    latest = session.scalar(
        select(Order.id).where(Order.contact_id == order.contact_id).order_by(Order.id.desc())
    )
    if latest != order.id:
        return
    wanted = get_or_create_label(session, label_name(order.status), COLORS.get(order.status))
    others = {label_name(s) for s in COLORS} - {wanted.name}
    held = session.scalars(
        select(Label)
        .join(ContactLabel, ContactLabel.label_id == Label.id)
        .where(ContactLabel.contact_id == order.contact_id, Label.name.in_(others))
    ).all()
    for label in held:
        do_remove_contact_label(session, order.contact_id, label)
    do_add_contact_label(session, order.contact_id, wanted)
