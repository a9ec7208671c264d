"""Automatic answers to "status pesanan #12345" (and close variants, typos included).

A message asks for an order's status when it holds an order number (4-8 digits, ``#`` optional)
and either starts with ``#`` or has a word close to "status", "pesanan", "order", "cek" or
"lacak" (rapidfuzz, so "sttus pesnan 12345" counts). The answer tells the current status only
when the order belongs to the customer who asks; otherwise it says the order was not found.
One answer per inbound message (:class:`OrderStatusReply`), free-form only, so only inside
the 24-hour window.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.catalog.text import fold
from niaga.channels.whatsapp.outgoing import TextMessage
from niaga.contacts.models import Contact
from niaga.core.config import Settings
from niaga.core.i18n import format_idr, format_local, gettext
from niaga.inbox.models import Conversation, Message
from niaga.inbox.service import NotSendableError, do_send_message
from niaga.inbox.window import window_open
from niaga.orders.models import Order, OrderStatusReply
from niaga.orders.notify import status_name
from niaga.orders.preferences import arrival_sentence

NUMBER = re.compile(r"(#)?\s*(\d{4,8})(?!\d)")
KEYWORDS = ("status", "pesanan", "order", "orderan", "cek", "lacak", "track", "tracking", "resi")
MAX_LENGTH = 200  # longer messages are conversations, not lookups


def asked_number(text: str | None) -> int | None:
    """The order number a message asks about, or None when it is not a status question."""
    if not text or len(text) > MAX_LENGTH:
        return None
    folded = fold(text)
    match = NUMBER.search(folded)
    if match is None:
        return None
    # Not part of a longer number such as a phone number.
    start = match.start(2)
    if start > 0 and folded[start - 1].isdigit():
        return None
    hashed = match.group(1) is not None
    words = re.findall(r"[a-z]+", folded)
    keyword = any(
        fuzz.ratio(word, key) >= 80 for word in words for key in KEYWORDS if len(word) >= 3
    )
    if keyword or (hashed and folded.strip().startswith("#")):
        return int(match.group(2))
    return None


def answer_text(order: Order | None, contact: Contact, number: int, settings: Settings) -> str:
    locale = settings.locale
    if order is None or order.contact_id != contact.id:
        return gettext(
            "Sorry, we could not find order #{number} for this WhatsApp number. "
            "Please check the number; our team will help you soon.",
            locale,
            number=number,
        )
    text = gettext(
        "Order {label}: {status}. Total {total}, ordered on {date}.",
        locale,
        label=order.label,
        status=status_name(order.status, locale),
        total=format_idr(order.total),
        date=format_local(order.created_at, settings.timezone, locale, "medium"),
    )
    if order.status == "dikirim":
        text += " " + gettext(
            "Courier: {courier}. Tracking: {tracking}",
            locale,
            courier=order.courier or "-",
            tracking=order.tracking_url or order.tracking_number or "-",
        )
    text += arrival_sentence(order, settings.timezone, locale)
    return text


def do_answer_status_query(
    session: Session, message_id: int, *, settings: Settings
) -> OrderStatusReply | None:
    """Answer an inbound status question once; None when the message is not one."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "in" or message.type != "text":
        return None
    number = asked_number(message.text)
    if number is None:
        return None  # most messages: decided without a query
    if session.scalars(
        select(OrderStatusReply).where(OrderStatusReply.message_id == message_id)
    ).first():
        return None
    conversation = session.get_one(Conversation, message.conversation_id)
    contact = session.get_one(Contact, message.contact_id)
    order = session.scalars(select(Order).where(Order.number == number)).first()
    reply = OrderStatusReply(
        message_id=message.id,
        order_id=order.id if order and order.contact_id == contact.id else None,
        outcome="sent" if order and order.contact_id == contact.id else "not_found",
    )
    try:
        with session.begin_nested():
            session.add(reply)
            session.flush()
    except IntegrityError:  # another process answered it
        return None
    if not window_open(conversation.last_inbound_at):
        reply.outcome = "window_closed"
        session.flush()
        return reply
    try:
        sent = do_send_message(
            session,
            conversation,
            TextMessage(body=answer_text(order, contact, number, settings)),
            origin="automation",
            idempotency_key=f"order-status-reply-{message.id}",
            reply_to_wamid=message.wamid,
        )
    except NotSendableError:
        reply.outcome = "not_sendable"
        session.flush()
        return reply
    reply.reply_message_id = sent.id
    session.flush()
    return reply
