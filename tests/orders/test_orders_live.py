"""Orders through the live server: carts from sandbox customers, agents, status flow,
notifications inside and outside the 24-hour window, "status pesanan" answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from niaga.core import clock, events
from niaga.core.db import transaction
from niaga.inbox.models import Conversation
from niaga.orders.models import Order
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import add_product, api, open_conversation, token, wait_order
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

PHONE = "6281234500001"


@pytest.fixture
def shop(niaga: LiveServer, factory: Any) -> dict[str, Any]:
    admin = token(factory, "admin")
    gamis = add_product(niaga, admin, sku="GMS-01", name="Gamis Navy", price=150_000, stock=5)
    kemeja = add_product(niaga, admin, sku="KMJ-02", name="Kemeja Batik", price=200_000)
    return {"admin": admin, "agent": token(factory, "agent"), "gamis": gamis, "kemeja": kemeja}


def cart(niaga: LiveServer, phone: str = PHONE) -> dict[str, Any]:
    return SandboxControl(niaga.url).send(
        phone,
        type="order",
        text="Tolong dikirim ke Bandung ya",
        items=[
            {
                "product_retailer_id": "GMS-01",
                "quantity": 2,
                "item_price": 150000,
                "currency": "IDR",
            },
            {
                "product_retailer_id": "KMJ-02",
                "quantity": 1,
                "item_price": 200000,
                "currency": "IDR",
            },
        ],
    )


def sent_texts(niaga: LiveServer, phone: str = PHONE) -> list[dict[str, Any]]:
    return SandboxControl(niaga.url).messages(to=phone)


def test_cart_becomes_an_order_with_totals_and_stock(
    niaga: LiveServer, factory: Any, shop: dict[str, Any]
) -> None:
    conversation_id = open_conversation(niaga, factory, PHONE)
    cart(niaga)
    order_id = wait_order(factory, conversation_id=conversation_id)
    order = api(niaga, "GET", f"/orders/{order_id}", token(factory, "analyst")).json()
    assert order["number"] >= 10001 and order["label"] == f"#{order['number']}"
    assert order["status"] == "baru" and order["payment_status"] == "belum_dibayar"
    assert order["subtotal"] == order["total"] == 2 * 150_000 + 200_000
    assert order["total_display"] == "Rp500.000"
    assert order["customer_note"] == "Tolong dikirim ke Bandung ya"
    assert [(i["sku"], i["name"], i["quantity"], i["line_total"]) for i in order["items"]] == [
        ("GMS-01", "Gamis Navy", 2, 300_000),
        ("KMJ-02", "Kemeja Batik", 1, 200_000),
    ]
    assert order["source"] == "conversation"
    assert order["attribution"]["conversation_id"] == conversation_id
    assert [c["to_status"] for c in order["changes"]] == ["baru"]
    gamis = api(niaga, "GET", f"/catalog/products/{shop['gamis']['id']}", shop["admin"]).json()
    assert gamis["stock"] == 3  # 5 - 2
    kemeja = api(niaga, "GET", f"/catalog/products/{shop['kemeja']['id']}", shop["admin"]).json()
    assert kemeja["stock"] is None  # not tracked


def test_status_flow_notifies_inside_the_window(
    niaga: LiveServer, factory: Any, shop: dict[str, Any]
) -> None:
    seen: list[events.Event] = []
    events.subscribe(events.ORDER_STATUS_CHANGED, seen.append)
    try:
        open_conversation(niaga, factory, PHONE)
        cart(niaga)
        order_id = wait_order(factory)
        with factory() as s:
            label = s.get_one(Order, order_id).label
        agent = shop["agent"]

        def move(**body: Any) -> Any:
            return api(niaga, "POST", f"/orders/{order_id}/status", agent, json=body)

        r = move(status="dikonfirmasi")
        assert r.status_code == 200, r.text
        assert r.json()["notification"] == "free_form"
        assert move(status="dibayar").json()["notification"] == "free_form"
        r = move(status="dikirim")  # no courier
        assert r.status_code == 422 and r.json()["code"] == "courier_required"
        r = move(status="dikirim", courier="JNE REG", tracking_url="https://jne.example/lacak/JX1")
        assert r.status_code == 200 and r.json()["data"]["courier"] == "JNE REG"
        assert move(status="selesai").json()["notification"] == "free_form"
        r = move(status="dibayar")
        assert r.status_code == 409 and r.json()["code"] == "order_closed"
        analyst = token(factory, "analyst")
        assert (
            move.__name__
            and api(
                niaga, "POST", f"/orders/{order_id}/status", analyst, json={"status": "dibatalkan"}
            ).status_code
            == 403
        )

        texts = wait_for(
            lambda: (
                [m for m in sent_texts(niaga) if m["type"] == "text"]
                if len([m for m in sent_texts(niaga) if m["type"] == "text"]) >= 4
                else None
            )
        )
        bodies = [m["body"]["text"]["body"] for m in texts]
        assert all(label in b for b in bodies)
        assert any("https://jne.example/lacak/JX1" in b and "JNE REG" in b for b in bodies)
        order = api(niaga, "GET", f"/orders/{order_id}", analyst).json()
        assert [c["to_status"] for c in order["changes"]] == [
            "baru",
            "dikonfirmasi",
            "dibayar",
            "dikirim",
            "selesai",
        ]
        assert order["payment_status"] == "dibayar"
        assert order["tracking_url"] == "https://jne.example/lacak/JX1"
        statuses = [e.data["status"] for e in seen if e.data["order_id"] == order_id]
        assert statuses == ["dikonfirmasi", "dibayar", "dikirim", "selesai"]
        assert all(e.data["conversation_id"] == order["conversation_id"] for e in seen)
    finally:
        events.unsubscribe(events.ORDER_STATUS_CHANGED, seen.append)


def test_outside_the_window_a_template_or_a_record(
    niaga: LiveServer, factory: Any, shop: dict[str, Any]
) -> None:
    conversation_id = open_conversation(niaga, factory, PHONE)
    cart(niaga)
    order_id = wait_order(factory)
    with transaction(factory) as s:
        s.get_one(Conversation, conversation_id).last_inbound_at = clock.now() - timedelta(days=2)
    agent, admin = shop["agent"], shop["admin"]
    before = len(sent_texts(niaga))
    # No approved template yet: the change is made and recorded as not notifiable.
    r = api(niaga, "POST", f"/orders/{order_id}/status", agent, json={"status": "dikonfirmasi"})
    assert r.status_code == 200
    assert r.json()["notification"] == "impossible"
    assert "pesanan_dikonfirmasi" in r.json()["notification_error"]
    # Submit the order templates; the sandbox reviews them and Niaga hears APPROVED by webhook.
    r = api(niaga, "POST", "/orders/templates/submit", admin)
    assert r.status_code == 200 and "pesanan_dikirim" in r.json()["submitted"]

    def approved() -> bool:
        with factory() as s:
            rows = s.scalars(select(MessageTemplate).where(MessageTemplate.name.like("pes%"))).all()
            return len(rows) >= 3 and all(t.status == "APPROVED" for t in rows)

    wait_for(approved, timeout=15)
    assert api(niaga, "POST", "/orders/templates/submit", admin).json()["submitted"] == []
    r = api(
        niaga,
        "POST",
        f"/orders/{order_id}/status",
        agent,
        json={"status": "dikirim", "courier": "SiCepat", "tracking_number": "SC123"},
    )
    assert r.json()["notification"] == "template", r.json()
    sent = wait_for(lambda: [m for m in sent_texts(niaga)[before:] if m["type"] == "template"])
    template = sent[0]["body"]["template"]
    assert template["name"] == "pesanan_dikirim" and template["language"]["code"] == "id"
    params = {p["parameter_name"]: p["text"] for p in template["components"][0]["parameters"]}
    assert params["kurir"] == "SiCepat" and params["lacak"] == "SC123"
    assert params["nomor"].startswith("#") and params["nama"] == "Siti"
    # No free-form text went out after the window closed.
    assert not [m for m in sent_texts(niaga)[before:] if m["type"] == "text"]


def test_status_question_gets_an_answer(
    niaga: LiveServer, factory: Any, shop: dict[str, Any]
) -> None:
    open_conversation(niaga, factory, PHONE)
    cart(niaga)
    order_id = wait_order(factory)
    with factory() as s:
        number = s.get_one(Order, order_id).number
    sb = SandboxControl(niaga.url)
    sb.send(PHONE, type="text", text=f"sttus pesnan #{number} gmn kak?")
    # The cart's confirmation came first; then the answer to the question.
    reply = wait_for(lambda: [m for m in sent_texts(niaga) if ": Baru." in _body(m)])
    body = reply[0]["body"]["text"]["body"]
    assert f"#{number}" in body and "Baru" in body and "Rp500.000" in body
    # Another customer cannot read this order's status.
    other = "6281234500002"
    sb.customer(other, "Budi")
    sb.send(other, type="text", text=f"status pesanan {number}")
    answer = wait_for(lambda: sent_texts(niaga, other))
    assert "tidak dapat menemukan" in answer[0]["body"]["text"]["body"]
    assert "Rp500.000" not in answer[0]["body"]["text"]["body"]
    # Ordinary chatter gets no automatic answer.
    sb.send(PHONE, type="text", text="Saya mau pesan 2 lagi ya kak")
    sb.send(other, type="text", text="Nomor saya 081234567890, tolong cek")
    sb.send(other, type="text", text="ok")
    wait_for(lambda: len(sent_texts(niaga, other)) >= 1)
    import time

    time.sleep(1.0)
    assert len([m for m in sent_texts(niaga) if m["type"] == "text"]) == 2
    assert len(sent_texts(niaga, other)) == 1


def _body(message: dict[str, Any]) -> str:
    return str(message["body"].get("text", {}).get("body", ""))


def test_agent_creates_an_order_and_stock_is_checked(
    niaga: LiveServer, factory: Any, shop: dict[str, Any]
) -> None:
    conversation_id = open_conversation(niaga, factory, PHONE)
    agent = shop["agent"]
    body = {
        "conversation_id": conversation_id,
        "items": [{"sku": "GMS-01", "quantity": 6}],
    }
    r = api(niaga, "POST", "/orders", agent, json=body)
    assert r.status_code == 409 and r.json()["code"] == "out_of_stock"
    body["items"] = [
        {"sku": "GMS-01", "quantity": 2},
        {"product_id": shop["kemeja"]["id"], "quantity": 1, "unit_price": 180_000},
    ]
    body["shipping_fee"] = 20_000
    body["discount"] = 10_000
    r = api(niaga, "POST", "/orders", agent, json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["source"] == "agent"
    assert order["subtotal"] == 300_000 + 180_000
    assert order["total"] == 480_000 + 20_000 - 10_000
    # Cancelling gives the stock back.
    r = api(niaga, "POST", f"/orders/{order['id']}/status", agent, json={"status": "dibatalkan"})
    assert r.status_code == 200
    gamis = api(niaga, "GET", f"/catalog/products/{shop['gamis']['id']}", agent).json()
    assert gamis["stock"] == 5
    listed = api(niaga, "GET", "/orders", agent, params={"status": "dibatalkan"}).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
