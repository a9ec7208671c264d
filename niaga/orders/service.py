"""Order commands: from a WhatsApp cart, by an agent, status changes. Services flush only.

Status flow (every change is an :class:`OrderStatusChange` row):

    baru → dikonfirmasi → dibayar → dikirim → selesai
      └──────────┴───────────┴─────────┴─────────┴──→ dibatalkan

Skipping ahead is allowed (``baru → dibayar`` for a customer who paid at once,
``dikonfirmasi → dikirim`` for cash on delivery); going back is not. A completed order can still
be cancelled (goods returned): its loyalty points are taken back. Orders take stock when made
and give it back when cancelled. Loyalty points are granted at "selesai" in the same
transaction as the status change, so a crash never grants them twice or loses them.
``ORDER_STATUS_CHANGED`` is emitted after commit.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.catalog.models import Product
from niaga.catalog.service import do_adjust_stock
from niaga.channels.content import Cart
from niaga.core import clock, events
from niaga.core.config import Settings
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.inbox.models import Conversation, Message
from niaga.loyalty import announce as loyalty_announce
from niaga.loyalty import earning as loyalty
from niaga.orders import preferences
from niaga.orders.attribution import attribution_for
from niaga.orders.models import STATUSES, Order, OrderItem, OrderStatusChange
from niaga.orders.schemas import OrderCreate, OrderUpdate, StatusChangeIn
from niaga.orders.status_labels import do_label_by_status

log = logging.getLogger(__name__)

FIRST_NUMBER = 10001
FINAL = ("dibatalkan",)
RANK = {status: i for i, status in enumerate(STATUSES)}
STAMPS = {
    "dikonfirmasi": "confirmed_at",
    "dibayar": "paid_at",
    "dikirim": "shipped_at",
    "selesai": "completed_at",
    "dibatalkan": "cancelled_at",
}


def get_order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError("order_not_found", "Order {id} does not exist.", id=order_id)
    return order


def get_order_by_number(session: Session, number: int) -> Order | None:
    return session.scalars(select(Order).where(Order.number == number)).first()


def _next_number(session: Session) -> int:
    last = session.scalar(select(func.max(Order.number)))
    return max(FIRST_NUMBER, (last or 0) + 1)


def _insert(session: Session, order: Order) -> bool:
    """Insert with the next free number; False when this cart message already has an order."""
    for _attempt in range(20):
        order.number = _next_number(session)
        try:
            with session.begin_nested():
                session.add(order)
                session.flush()
            return True
        except IntegrityError:  # the savepoint rolled back; the order is transient again
            if order.source_message_id is not None and _order_for_message(
                session, order.source_message_id
            ):
                return False
    raise RuntimeError("could not allocate an order number")


def _order_for_message(session: Session, message_id: int) -> Order | None:
    return session.scalars(select(Order).where(Order.source_message_id == message_id)).first()


def _rupiah(value: Any) -> int:
    try:
        return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return 0


def recalculate_totals(order: Order) -> None:
    """Subtotal from the lines; total = subtotal + shipping - discount, never below zero."""
    order.subtotal = sum(item.line_total for item in order.items)
    order.total = max(0, order.subtotal + order.shipping_fee - order.discount)


def _record(
    session: Session,
    order: Order,
    from_status: str | None,
    to_status: str,
    *,
    actor_user_id: int | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> OrderStatusChange:
    change = OrderStatusChange(
        order_id=order.id,
        from_status=from_status,
        to_status=to_status,
        actor_user_id=actor_user_id,
        note=note,
        data=data or {},
        created_at=clock.now(),
    )
    session.add(change)
    session.flush()
    session.refresh(order, ["changes"])
    return change


def do_create_order_from_message(
    session: Session, message_id: int, settings: Settings | None = None
) -> Order | None:
    """Turn an inbound ``order`` (cart) message into an order, once per message.

    With ``settings`` (the worker's), the customer gets the confirmation the owner wants
    (free-form in the window, the ``pesanan_diterima`` template outside it).

    Prices come from the cart (what the customer saw in WhatsApp); names from our catalog
    when the SKU is known. Stock is taken; units the stock cannot cover are marked short.
    Returns the order (the existing one when this message was already turned into one), or
    ``None`` when the message is not a cart.
    """
    existing = _order_for_message(session, message_id)
    if existing is not None:
        return existing
    message = session.get(Message, message_id)
    if message is None or message.type != "order" or message.direction != "in":
        return None
    cart = message.inbound
    if not isinstance(cart, Cart):
        return None
    lines = cart.items
    conversation = session.get_one(Conversation, message.conversation_id)
    source, attribution = attribution_for(session, conversation, message.created_at)
    order = Order(
        contact_id=message.contact_id,
        conversation_id=message.conversation_id,
        source_message_id=message.id,
        status="baru",
        shipping_fee=0,
        discount=0,
        currency=lines[0].currency if lines else "IDR",
        customer_note=cart.note,
        meta_catalog_id=cart.catalog,
        source=source,
        attribution=attribution,
        created_at=message.created_at,
    )
    skus = [line.sku for line in lines]
    products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))}
    for sku, line in zip(skus, lines, strict=True):
        quantity = max(1, line.quantity)
        price = _rupiah(line.unit_price)
        product = products.get(sku)
        order.items.append(
            OrderItem(
                product_id=product.id if product else None,
                sku=sku[:100] or "?",
                name=(product.name if product else sku)[:200] or "?",
                quantity=quantity,
                unit_price=price,
                line_total=price * quantity,
            )
        )
    recalculate_totals(order)
    if not _insert(session, order):
        return _order_for_message(session, message_id)
    _take_stock(session, order, strict=False)
    change = _record(
        session, order, None, "baru", actor_user_id=None, data={"from": "whatsapp_cart"}
    )
    prefs = preferences.load(session)
    if prefs.label_by_status:
        do_label_by_status(session, order)
    if settings is not None and prefs.confirm_new_orders:
        from niaga.orders.notify import do_notify_status

        do_notify_status(session, order, change, settings=settings)
    events.emit_on_commit(
        session,
        events.ORDER_CREATED,
        order_id=order.id,
        conversation_id=order.conversation_id,
        source=order.source,
    )
    return order


def _take_stock(session: Session, order: Order, *, strict: bool) -> None:
    for item in order.items:
        if item.product_id is None:
            continue
        product = session.get_one(Product, item.product_id)
        if product.stock is None:
            continue
        available = product.stock
        if strict and available < item.quantity:
            raise ConflictError(
                "out_of_stock",
                "Not enough stock for {sku}: {available} left, {wanted} wanted.",
                sku=product.sku,
                available=available,
                wanted=item.quantity,
            )
        item.short_quantity = max(0, item.quantity - max(available, 0))
        do_adjust_stock(session, product, -item.quantity)


def _return_stock(session: Session, order: Order) -> None:
    for item in order.items:
        if item.product_id is None:
            continue
        product = session.get(Product, item.product_id)
        if product is not None and product.stock is not None:
            do_adjust_stock(session, product, item.quantity - item.short_quantity)


def do_create_order(session: Session, data: OrderCreate, *, actor_user_id: int | None) -> Order:
    """An order an agent makes in a chat; refuses unknown products and missing stock."""
    conversation = session.get(Conversation, data.conversation_id)
    if conversation is None:
        raise NotFoundError(
            "conversation_not_found",
            "Conversation {id} does not exist.",
            id=data.conversation_id,
        )
    _source, attribution = attribution_for(session, conversation, clock.now())
    order = Order(
        contact_id=conversation.contact_id,
        conversation_id=conversation.id,
        status="baru",
        currency="IDR",
        shipping_fee=data.shipping_fee,
        discount=data.discount,
        notes=data.notes,
        shipping_address=data.shipping_address,
        source="agent",
        attribution=attribution,
        created_by_user_id=actor_user_id,
        created_at=clock.now(),
    )
    for line in data.items:
        product = (
            session.get(Product, line.product_id)
            if line.product_id is not None
            else session.scalars(select(Product).where(Product.sku == line.sku)).first()
        )
        if product is None:
            raise NotFoundError(
                "product_not_found",
                "Product {id} does not exist.",
                id=line.product_id if line.product_id is not None else line.sku,
            )
        price = line.unit_price if line.unit_price is not None else product.effective_price
        order.items.append(
            OrderItem(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                quantity=line.quantity,
                unit_price=price,
                line_total=price * line.quantity,
            )
        )
    recalculate_totals(order)
    _insert(session, order)
    _take_stock(session, order, strict=True)
    _record(session, order, None, "baru", actor_user_id=actor_user_id, data={"from": "agent"})
    if preferences.load(session).label_by_status:
        do_label_by_status(session, order)
    events.emit_on_commit(
        session,
        events.ORDER_CREATED,
        order_id=order.id,
        conversation_id=order.conversation_id,
        source=order.source,
    )
    return order


def do_update_order(session: Session, order: Order, data: OrderUpdate) -> Order:
    """Notes, address, shipping fee or discount (money only before the order is paid)."""
    changes = data.model_dump(exclude_unset=True)
    money = {k for k in ("shipping_fee", "discount") if changes.get(k) is not None}
    if money and RANK[order.status] >= RANK["dibayar"]:
        raise ConflictError(
            "order_locked", "Amounts cannot change once the order is paid, shipped or closed."
        )
    for key, value in changes.items():
        if key in money or key not in ("shipping_fee", "discount"):
            setattr(order, key, value)
    recalculate_totals(order)
    session.flush()
    return order


def check_transition(order: Order, data: StatusChangeIn) -> None:
    """Refuse moves backwards, out of a closed order, or shipping without a courier."""
    current, wanted = order.status, data.status
    if current == wanted:
        raise ConflictError("same_status", "The order is already {status}.", status=wanted)
    if current in FINAL or (current == "selesai" and wanted != "dibatalkan"):
        raise ConflictError(
            "order_closed",
            "Order {label} is {status} and cannot change.",
            label=order.label,
            status=current,
        )
    if wanted != "dibatalkan" and RANK[wanted] < RANK[current]:
        raise ConflictError(
            "status_backwards",
            "An order cannot go back from {current} to {wanted}.",
            current=current,
            wanted=wanted,
        )
    if wanted == "dikirim" and not (data.courier or order.courier):
        raise DomainError("courier_required", "Name the courier to mark the order shipped.")


def do_change_status(
    session: Session,
    order: Order,
    data: StatusChangeIn,
    *,
    settings: Settings,
    actor_user_id: int | None,
) -> OrderStatusChange:
    """Move ``order`` to ``data.status``, record it, notify the customer if asked.

    The notification is queued in the same transaction (free-form inside the 24-hour window,
    an approved utility template outside it); when neither is possible the change records
    why. ``ORDER_STATUS_CHANGED`` is published after commit.
    """
    from niaga.orders.notify import do_notify_status

    check_transition(order, data)
    previous = order.status
    now = clock.now()
    order.status = data.status
    setattr(order, STAMPS[data.status], now)
    extra: dict[str, Any] = {}
    if data.status == "dikirim":
        order.courier = data.courier or order.courier
        order.tracking_number = data.tracking_number or order.tracking_number
        order.tracking_url = data.tracking_url or order.tracking_url
        order.estimated_arrival = (
            data.estimated_arrival
            or order.estimated_arrival
            or preferences.estimate(
                preferences.load(session), now, order.courier, settings.timezone
            )
        )
        extra = {
            "courier": order.courier,
            "tracking_number": order.tracking_number,
            "tracking_url": order.tracking_url,
            "estimated_arrival": order.estimated_arrival.isoformat(),
        }
    elif data.estimated_arrival is not None:
        order.estimated_arrival = data.estimated_arrival
    if data.status == "dibayar" or (data.status == "selesai" and order.paid_at is None):
        order.payment_status = "dibayar"  # completed cash-on-delivery orders are paid too
    if data.status == "dibatalkan":
        _return_stock(session, order)
        if order.payment_status == "dibayar":
            extra["refund_needed"] = True
        taken = loyalty.do_order_cancelled(session, order_id=order.id)
        if taken:
            extra["points_taken_back"] = taken
    change = _record(
        session,
        order,
        previous,
        data.status,
        actor_user_id=actor_user_id,
        note=data.note,
        data=extra,
    )
    if preferences.load(session).label_by_status:
        do_label_by_status(session, order)
    if data.notify:
        do_notify_status(session, order, change, settings=settings)
    if data.status == "selesai":
        earned = loyalty.do_order_completed(
            session,
            order_id=order.id,
            contact_id=order.contact_id,
            total=order.total,
            timezone=settings.timezone,
        )
        loyalty_announce.do_announce_earned(
            session, earned, order_label=order.label, key=f"order-{order.id}", settings=settings
        )
    events.emit_on_commit(
        session,
        events.ORDER_STATUS_CHANGED,
        order_id=order.id,
        conversation_id=order.conversation_id,
        status=order.status,
    )
    return change
