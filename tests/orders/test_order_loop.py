"""The order loop closes itself: a cart is confirmed at once (a template outside the window),
the estimated arrival is told when shipping and when asked, customers are labelled by their
latest order's status, and the owner sets it all on the shop page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from niaga.contacts.models import ContactLabel, Label
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.inbox.models import Message
from niaga.orders import preferences
from niaga.orders.jobs import catch_up
from niaga.orders.models import Order, OrderSettings, OrderStatusChange
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import (
    add_product,
    api,
    open_conversation,
    token,
    wait_order,
    wait_template,
)
from tests.conftest import LiveServer, wait_for
from tests.orders.test_orders_live import cart, sent_texts
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

PHONE = "6281234500031"


@pytest.fixture
def goods(niaga: LiveServer, factory: Any) -> dict[str, str]:
    """Two products; the admin's API headers."""
    admin = token(factory, "admin")
    add_product(niaga, admin, sku="GMS-01", name="Gamis Navy", price=150_000, stock=5)
    add_product(niaga, admin, sku="KMJ-02", name="Kemeja Batik", price=200_000)
    return admin


def texts(niaga: LiveServer, phone: str = PHONE) -> list[str]:
    return [m["body"]["text"]["body"] for m in sent_texts(niaga, phone) if m["type"] == "text"]


def labels_of(factory: Any, contact_id: int) -> set[str]:
    with factory() as s:
        return set(
            s.scalars(
                select(Label.name)
                .join(ContactLabel, ContactLabel.label_id == Label.id)
                .where(ContactLabel.contact_id == contact_id)
            )
        )


def test_a_cart_is_confirmed_and_shipping_tells_the_arrival(
    niaga: LiveServer, factory: Any, goods: dict[str, str]
) -> None:
    with transaction(factory) as s:
        preferences.do_save(s, courier_days={"jne": 1}, delivery_days=4)
    open_conversation(niaga, factory, PHONE)
    cart(niaga, PHONE)
    order_id = wait_order(factory)
    confirmation = wait_for(lambda: texts(niaga))[0]
    with factory() as s:
        order = s.get_one(Order, order_id)
        number = order.number
        first = s.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == order_id)
        ).one()
    assert confirmation == (
        f"Pesanan #{number} kami terima, Siti: 2× Gamis Navy, 1× Kemeja Batik. "
        "Total Rp500.000. Segera kami konfirmasi."
    )
    assert first.notification == "free_form" and first.notification_message_id is not None

    agent = token(factory, "agent")
    r = api(
        niaga,
        "POST",
        f"/orders/{order_id}/status",
        agent,
        json={"status": "dikirim", "courier": "JNE REG", "tracking_number": "JX1"},
    )
    assert r.status_code == 200, r.text
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    order = api(niaga, "GET", f"/orders/{order_id}", agent).json()
    assert order["estimated_arrival"] == (today + timedelta(days=1)).isoformat()
    shipped = wait_for(lambda: [t for t in texts(niaga) if "dikirim" in t])[0]
    assert shipped.endswith("Diperkirakan sampai besok.")

    # The status answer says it too; an agent moves the day, and the answer follows.
    sb = SandboxControl(niaga.url)
    sb.send(PHONE, type="text", text=f"status pesanan #{number}")
    answer = wait_for(lambda: [t for t in texts(niaga) if ": Dikirim." in t])[0]
    assert "Diperkirakan sampai besok." in answer
    later = today + timedelta(days=5)
    r = api(
        niaga, "PATCH", f"/orders/{order_id}", agent, json={"estimated_arrival": later.isoformat()}
    )
    assert r.status_code == 200 and r.json()["estimated_arrival"] == later.isoformat()
    sb.send(PHONE, type="text", text=f"cek pesanan {number} kak")
    answers = wait_for(lambda: (a := [t for t in texts(niaga) if ": Dikirim." in t])[1:] and a)
    assert "Diperkirakan sampai pada " in answers[1] and str(later.day) in answers[1]


def test_confirmation_can_be_switched_off(
    niaga: LiveServer, factory: Any, goods: dict[str, str]
) -> None:
    with transaction(factory) as s:
        preferences.do_save(s, confirm_new_orders=False)
    open_conversation(niaga, factory, PHONE)
    cart(niaga, PHONE)
    order_id = wait_order(factory)
    with factory() as s:
        change = s.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == order_id)
        ).one()
    assert change.notification == "none"
    assert texts(niaga) == []


def test_a_late_cart_is_confirmed_with_the_template_or_recorded(
    niaga: LiveServer, factory: Any, goods: dict[str, str], background_paused: None
) -> None:
    """A cart the worker reaches after the window closed (it was down for a day)."""
    admin = goods
    r = api(niaga, "POST", "/orders/templates/submit", admin)
    assert "pesanan_diterima" in r.json()["submitted"]

    wait_template(factory, "pesanan_diterima")
    for phone, has_template in (("6281234500032", True), ("6281234500033", False)):
        if not has_template:
            with transaction(factory) as s:
                s.scalars(
                    select(MessageTemplate).where(MessageTemplate.name == "pesanan_diterima")
                ).one().status = "PAUSED"
        open_conversation(niaga, factory, phone)
        cart(niaga, phone)
        wanted = 1 if has_template else 2

        def carts(wanted: int = wanted) -> bool:
            with factory() as s:
                found = s.scalars(select(Message.id).where(Message.type == "order")).all()
                return len(found) == wanted

        wait_for(carts)
        clock.advance(timedelta(hours=25))
        assert catch_up(factory, niaga.settings) == 1
    with factory() as s:
        outcomes = [
            (c.notification, c.notification_error or "")
            for c in s.scalars(select(OrderStatusChange).order_by(OrderStatusChange.id)).all()
        ]
    assert outcomes[0] == ("template", "")
    assert outcomes[1][0] == "impossible" and "pesanan_diterima" in outcomes[1][1]
    sent = wait_for(
        lambda: [m for m in sent_texts(niaga, "6281234500032") if m["type"] == "template"]
    )
    template = sent[0]["body"]["template"]
    assert template["name"] == "pesanan_diterima"
    params = {p["parameter_name"]: p["text"] for p in template["components"][0]["parameters"]}
    assert params["total"] == "Rp500.000" and params["nama"] == "Siti"
    assert not [m for m in sent_texts(niaga, "6281234500033") if m["type"] == "text"]


def test_customers_are_labelled_by_their_latest_orders_status(
    niaga: LiveServer, factory: Any, goods: dict[str, str]
) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    r = owner.post(
        "/settings/shop/orders",
        data={
            "csrf_token": csrf(owner),
            "confirm_new_orders": "true",
            "label_by_status": "true",
            "delivery_days": "2",
            "courier_days": "JNE REG = 3\nSiCepat BEST: 1\n",
        },
    )
    assert r.status_code == 303
    with factory() as s:
        prefs = preferences.load(s)
    assert prefs.label_by_status and prefs.courier_days == {"jne reg": 3, "sicepat best": 1}
    page = owner.get("/settings/shop").text
    assert "sicepat best = 1" in page and "pesanan_diterima" in page  # not approved: said so
    bad = owner.post(
        "/settings/shop/orders",
        data={"csrf_token": csrf(owner), "delivery_days": "2", "courier_days": "JNE tiga hari"},
    )
    assert bad.status_code == 303 and "courier_days" in bad.headers["location"]

    conversation_id = open_conversation(niaga, factory, PHONE)
    cart(niaga, PHONE)
    order_id = wait_order(factory, conversation_id=conversation_id)
    with factory() as s:
        contact_id = s.get_one(Order, order_id).contact_id
    wait_for(lambda: labels_of(factory, contact_id) == {"Pesanan: Baru"})
    agent = token(factory, "agent")
    for status, label in (
        ("dikonfirmasi", "Pesanan: Dikonfirmasi"),
        ("dibayar", "Pesanan: Dibayar"),
    ):
        api(niaga, "POST", f"/orders/{order_id}/status", agent, json={"status": status})
        assert labels_of(factory, contact_id) == {label}
    # Shipping with SiCepat BEST: one day (the per-courier table), from the orders page.
    page = owner.post(
        f"/orders/{order_id}/status",
        data={
            "csrf_token": csrf(owner),
            "status": "dikirim",
            "courier": "SiCepat BEST",
            "tracking_number": "SC1",
            "estimated_arrival": "",
            "notify": "on",
        },
    )
    assert page.status_code == 303
    assert labels_of(factory, contact_id) == {"Pesanan: Dikirim"}
    with factory() as s:
        arrival = s.get_one(Order, order_id).estimated_arrival
    assert arrival == clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=1)
    assert "Tiba " in owner.get("/orders").text
    # An agent names the day on the orders page instead.
    api(niaga, "POST", f"/orders/{order_id}/status", agent, json={"status": "selesai"})
    assert labels_of(factory, contact_id) == {"Pesanan: Selesai"}


def test_courier_days_are_read_strictly() -> None:
    assert preferences.parse_courier_days("JNE REG = 3, J&T: 2\n\n gosend=0") == {
        "jne reg": 3,
        "j&t": 2,
        "gosend": 0,
    }
    for bad in ("JNE", "JNE = tiga", "JNE = 99", "= 3"):
        with pytest.raises(DomainError):
            preferences.parse_courier_days(bad)
    settings = OrderSettings(delivery_days=4, courier_days={"jne": 1, "jne yes": 0})
    assert preferences.delivery_days(settings, "JNE YES") == 0
    assert preferences.delivery_days(settings, "jne reg") == 1
    assert preferences.delivery_days(settings, "Anteraja") == 4
    assert preferences.delivery_days(settings, None) == 4
    assert isinstance(preferences.estimate(settings, clock.now(), "JNE", "Asia/Jakarta"), date)
