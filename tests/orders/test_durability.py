"""Nothing is lost between the webhook's commit and the order work: idempotent handlers
keyed by the message, and a catch-up that redoes what a crash left undone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from niaga.catalog import service as catalog
from niaga.catalog.schemas import ProductCreate
from niaga.channels.content import Cart, CartItem, Content, Text, dump
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from niaga.orders import jobs, lookup
from niaga.orders.models import Order, OrderStatusReply
from niaga.outbox.models import OutboxMessage
from tests.conftest import make_settings


# These tests drive the order work themselves, on a database of their own: no live server's
# queue or catch-up can answer their messages first.
@pytest.fixture
def factory(own_factory: Any) -> Any:
    return own_factory


@pytest.fixture
def settings(module_engine: Any) -> Any:
    return make_settings(module_engine.url.render_as_string(hide_password=False), 1)


def inbound(
    factory: Any,
    kind: str,
    *,
    text: str | None = None,
    content: Content | None = None,
    age: timedelta = timedelta(minutes=2),
    phone: str = "6281234500009",
) -> int:
    """An inbound message stored as the webhook processor would, but with no event published
    (as if the process died right after the commit)."""
    now = clock.now()
    with transaction(factory) as s:
        contact = s.scalars(select(Contact).where(Contact.wa_id == phone)).first()
        if contact is None:
            contact = Contact(wa_id=phone, phone=f"+{phone}", profile_name="Rina")
            s.add(contact)
            s.flush()
        conversation = s.scalars(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).first()
        if conversation is None:
            conversation = Conversation(contact=contact, phone_number_id="106540352242922")
            s.add(conversation)
        conversation.last_inbound_at = now - age
        message = Message(
            conversation=conversation,
            contact_id=contact.id,
            direction="in",
            wamid=f"wamid.test-{kind}-{now.timestamp()}-{text}",
            type=kind,
            text=text,
            content=dump(content or Text(body=text or "")),
            created_at=now - age,
            received_at=now - age,
        )
        s.add(message)
        s.flush()
        return message.id


def count(factory: Any, model: Any, *where: Any) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_catch_up_turns_a_missed_cart_into_one_order(factory: Any, settings: Any) -> None:
    with transaction(factory) as s:
        catalog.do_create_product(
            s, ProductCreate(sku="SBN-1", name="Sabun Sereh", price=25_000, stock=10)
        )
    cart = Cart(
        catalog="194836987003835",
        items=(
            CartItem(sku="SBN-1", quantity=3, unit_price=25000),
            CartItem(sku="UNKNOWN-9", quantity=1, unit_price=9999.6),
        ),
    )
    message_id = inbound(factory, "order", content=cart)
    assert count(factory, Order) == 0
    jobs.catch_up(factory, settings)
    jobs.catch_up(factory, settings)  # again: nothing more
    with transaction(factory) as s:  # and the live listener arriving late: nothing more
        jobs.handle_message(s, message_id, settings)
    assert count(factory, Order, Order.source_message_id == message_id) == 1
    with factory() as s:
        order = s.scalars(select(Order)).one()
        assert order.total == 3 * 25_000 + 10_000
        assert [(i.sku, i.product_id is None) for i in order.items] == [
            ("SBN-1", False),
            ("UNKNOWN-9", True),
        ]
        assert order.customer_note is None
        assert catalog.get_product_by_sku(s, "SBN-1").stock == 7  # type: ignore[union-attr]


def test_catch_up_answers_a_missed_question_once(factory: Any, settings: Any) -> None:
    cart = Cart(items=(CartItem(sku="X", quantity=1, unit_price=1000),))
    cart_id = inbound(factory, "order", content=cart)
    with transaction(factory) as s:
        number = jobs.do_create_order_from_message(s, cart_id).number  # type: ignore[union-attr]
    question = inbound(factory, "text", text=f"cek status order {number}")
    stale = inbound(factory, "text", text=f"status pesanan #{number}", age=timedelta(days=2))
    chatter = inbound(factory, "text", text="terima kasih kak")
    jobs.catch_up(factory, settings)
    jobs.catch_up(factory, settings)
    with transaction(factory) as s:
        assert lookup.do_answer_status_query(s, question, settings=settings) is None
    assert count(factory, OrderStatusReply, OrderStatusReply.message_id == question) == 1
    assert count(factory, OrderStatusReply, OrderStatusReply.message_id.in_([stale, chatter])) == 0
    keys = [f"order-status-reply-{question}"]
    assert count(factory, OutboxMessage, OutboxMessage.idempotency_key.in_(keys)) == 1


def test_no_answer_outside_the_window(factory: Any, settings: Any) -> None:
    message_id = inbound(factory, "text", text="status pesanan #10001", age=timedelta(hours=30))
    with transaction(factory) as s:
        reply = lookup.do_answer_status_query(s, message_id, settings=settings)
    assert reply is not None and reply.outcome == "window_closed" and reply.reply_message_id is None
    assert count(factory, OutboxMessage) == 0


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("status pesanan #12345", 12345),
        ("Status Pesanan 12345", 12345),
        ("sttus pesnan #12345?", 12345),
        ("kak mau cek orderan 12345 dong", 12345),
        ("#12345", 12345),
        ("lacak resi pesanan #10023", 10023),
        ("order status 55555", 55555),
        ("saya mau pesan 2", None),
        ("nomor saya 081234567890", None),
        ("pesanan saya belum sampai", None),
        ("harganya 150000 ya kak", None),
        ("", None),
    ],
)
def test_asked_number(text: str, number: int | None) -> None:
    assert lookup.asked_number(text) == number
