"""Telling customers about their order: status notifications and "status pesanan" answers.

Everything goes through :func:`niaga.inbox.service.do_send_message` in the caller's
transaction, with an idempotency key derived from what caused it (the status change, or the
customer's message), so a retry never sends twice.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from niaga.channels.whatsapp.outgoing import TemplateMessage, TextMessage
from niaga.contacts.models import Contact
from niaga.core.config import Settings
from niaga.core.i18n import format_idr, gettext
from niaga.inbox.models import Conversation
from niaga.inbox.service import NotSendableError, WindowClosedError, do_send_message
from niaga.inbox.window import window_open
from niaga.orders import templates
from niaga.orders.models import Order, OrderStatusChange
from niaga.orders.preferences import arrival_sentence

STATUS_NAMES = {
    "baru": "New",
    "dikonfirmasi": "Confirmed",
    "dibayar": "Paid",
    "dikirim": "Shipped",
    "selesai": "Completed",
    "dibatalkan": "Cancelled",
}


def status_name(status: str, locale: str) -> str:
    """``dikirim`` → "Dikirim" (id) / "Shipped" (en)."""
    return gettext(STATUS_NAMES.get(status, status), locale)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "-"


def items_text(order: Order, locale: str, most: int = 5) -> str:
    """ "2× Gamis Hitam L, 1× Kerudung Segi Empat" (and how many more lines)."""
    lines = [f"{item.quantity}× {_one_line(item.name or item.sku)}" for item in order.items]
    shown = ", ".join(lines[:most])
    if len(lines) > most:
        shown += " " + gettext("and {n} more", locale, n=len(lines) - most)
    return shown or "-"


def status_text(order: Order, contact: Contact, locale: str, tz: str = "Asia/Jakarta") -> str:
    """The free-form message for the order's current status."""
    params = {
        "name": contact.name,
        "label": order.label,
        "total": format_idr(order.total),
        "courier": order.courier or "-",
        "tracking": order.tracking_url or order.tracking_number or "-",
        "items": items_text(order, locale),
    }
    texts = {
        "baru": "Order {label} received, {name}: {items}. Total {total}. We will confirm it soon.",
        "dikonfirmasi": "Hi {name}, order {label} is confirmed. Total: {total}. Thank you!",
        "dibayar": "Hi {name}, we have received the payment of {total} for order {label}. "
        "We will ship it soon.",
        "dikirim": "Hi {name}, order {label} has been shipped with {courier}. "
        "Track it here: {tracking}",
        "selesai": "Hi {name}, order {label} is complete. Thank you for shopping with us!",
        "dibatalkan": "Hi {name}, order {label} has been cancelled. "
        "Reply to this message if you have questions.",
    }
    text = gettext(texts[order.status], locale, **params)
    text += arrival_sentence(order, tz, locale)
    return text


def do_notify_status(
    session: Session, order: Order, change: OrderStatusChange, *, settings: Settings
) -> None:
    """Queue the customer's notification for ``change`` and record how (or why not)."""
    conversation = (
        session.get(Conversation, order.conversation_id) if order.conversation_id else None
    )
    contact = session.get_one(Contact, order.contact_id)
    if conversation is None:
        change.notification = "impossible"
        change.notification_error = "no conversation with this customer"
        return
    key = f"order-status-{change.id}"
    try:
        if window_open(conversation.last_inbound_at):
            text = status_text(order, contact, settings.locale, settings.timezone)
            message = do_send_message(
                session,
                conversation,
                TextMessage(body=text),
                origin="automation",
                idempotency_key=key,
            )
            change.notification = "free_form"
        else:
            spec = templates.BY_STATUS.get(order.status)
            if spec is None:
                change.notification = "impossible"
                change.notification_error = (
                    "the 24-hour window is closed and this status has no template"
                )
                return
            if not templates.approved(session, spec.name):
                change.notification = "impossible"
                change.notification_error = (
                    f"the 24-hour window is closed and template {spec.name} is not approved"
                )
                return
            values = {
                "nama": _one_line(contact.name),
                "nomor": order.label,
                "total": format_idr(order.total),
                "kurir": _one_line(order.courier or "-"),
                "lacak": _one_line(order.tracking_url or order.tracking_number or "-"),
            }
            message = do_send_message(
                session,
                conversation,
                TemplateMessage(
                    name=spec.name,
                    language=templates.LANGUAGE,
                    body_params={p: values[p] for p in spec.params},
                ),
                origin="automation",
                idempotency_key=key,
            )
            change.notification = "template"
    except (WindowClosedError, NotSendableError) as exc:
        change.notification = "impossible"
        change.notification_error = str(exc)[:500]
        return
    change.notification_message_id = message.id
    session.flush()
