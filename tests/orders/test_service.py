"""Order services without the server: numbering, edits, transitions, deleted products."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from niaga.catalog import service as catalog
from niaga.catalog.schemas import ProductCreate
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import ConflictError, DomainError
from niaga.inbox.models import Conversation
from niaga.orders import service as orders
from niaga.orders.models import Order
from niaga.orders.schemas import OrderCreate, OrderItemIn, OrderUpdate, StatusChangeIn
from tests.conftest import make_settings


@pytest.fixture
def conversation_id(factory: Any) -> int:
    with transaction(factory) as s:
        contact = Contact(wa_id="6281234500055", phone="+6281234500055", profile_name="Agus")
        conversation = Conversation(
            contact=contact, phone_number_id="106540352242922", last_inbound_at=clock.now()
        )
        s.add(conversation)
        catalog.do_create_product(s, ProductCreate(sku="MDU-1", name="Madu Hutan", price=80_000))
        s.flush()
        return conversation.id


def new_order(factory: Any, conversation_id: int, quantity: int = 2) -> int:
    with transaction(factory) as s:
        data = OrderCreate(
            conversation_id=conversation_id, items=[OrderItemIn(sku="MDU-1", quantity=quantity)]
        )
        return orders.do_create_order(s, data, actor_user_id=None).id


def test_numbers_count_up_from_10001(factory: Any, conversation_id: int) -> None:
    ids = [new_order(factory, conversation_id) for _ in range(3)]
    with factory() as s:
        numbers = [s.get_one(Order, i).number for i in ids]
    assert numbers == [10001, 10002, 10003]


def test_edit_amounts_until_paid(factory: Any, conversation_id: int, database_url: str) -> None:
    settings = make_settings(database_url, 1)
    order_id = new_order(factory, conversation_id)
    with transaction(factory) as s:
        order = orders.get_order(s, order_id)
        orders.do_update_order(s, order, OrderUpdate(shipping_fee=15_000, notes="Bungkus kado"))
        assert (order.total, order.notes) == (175_000, "Bungkus kado")
        orders.do_change_status(
            s,
            order,
            StatusChangeIn(status="dibayar", notify=False),
            settings=settings,
            actor_user_id=None,
        )
    with transaction(factory) as s, pytest.raises(ConflictError) as err:
        orders.do_update_order(s, orders.get_order(s, order_id), OrderUpdate(discount=5_000))
    assert err.value.code == "order_locked"
    with transaction(factory) as s:
        order = orders.get_order(s, order_id)
        orders.do_update_order(s, order, OrderUpdate(shipping_address="Jl. Melati 5, Bandung"))
        assert order.payment_status == "dibayar" and order.paid_at is not None
        assert [c.notification for c in order.changes] == ["none", "none"]
        with pytest.raises(ConflictError):
            orders.check_transition(order, StatusChangeIn(status="dikonfirmasi"))
        with pytest.raises(DomainError):
            orders.check_transition(order, StatusChangeIn(status="dikirim"))


def test_deleting_a_product_keeps_the_order_line(factory: Any, conversation_id: int) -> None:
    order_id = new_order(factory, conversation_id)
    with transaction(factory) as s:
        catalog.do_delete_product(s, catalog.get_product_by_sku(s, "MDU-1"))  # type: ignore[arg-type]
    with factory() as s:
        order = s.scalars(select(Order).where(Order.id == order_id)).one()
        item = order.items[0]
        assert (item.product_id, item.sku, item.name, item.line_total) == (
            None,
            "MDU-1",
            "Madu Hutan",
            160_000,
        )
