"""From the public page to an order: a customer taps "Pesan via WhatsApp", an agent sends a
product list, the sandbox customer sends a cart back, the order appears and is confirmed to the
customer at once; once shipped, the agent's quick reply fills in the tracking link."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from niaga.core.db import transaction
from niaga.inbox.quick_replies import do_save_quick_reply
from tests.catalog.helpers import add_product, api, open_conversation, token, wait_order
from tests.conftest import LiveServer, wait_for
from tests.e2e.test_inbox_e2e import sign_in
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import make_user

PHONE = "6281234500077"


def test_product_list_cart_becomes_an_order(niaga: LiveServer, factory: Any, page: Page) -> None:
    admin, agent = token(factory, "admin"), token(factory, "agent")
    ids = [
        add_product(
            niaga,
            admin,
            sku=f"GMS-{i}",
            name=f"Gamis Warna {i}",
            price=150000,
            stock=10,
            collections=["Baju Muslim"],
        )["id"]
        for i in range(3)
    ]
    # The customer finds the shop's page and taps the WhatsApp button of a product.
    opened: list[str] = []
    page.context.route(
        "https://wa.me/**",
        lambda route: (opened.append(route.request.url), route.fulfill(body="WhatsApp")),
    )
    page.goto(f"{niaga.url}/katalog")
    with page.context.expect_page() as popup:
        page.locator('li.card[data-sku="GMS-1"]').get_by_role(
            "link", name="Pesan via WhatsApp"
        ).click()
    popup.value.wait_for_load_state()
    prefilled = parse_qs(urlsplit(opened[0]).query)["text"][0]

    # WhatsApp sends the prefilled message from the (sandbox) customer's phone.
    sandbox = SandboxControl(niaga.url)
    sandbox.customer(PHONE, "Dewi", autoreply=True)
    sandbox.send(PHONE, type="text", text=prefilled)
    conversation_id = open_conversation(niaga, factory, PHONE, "Dewi")

    # The agent sends a product list; the customer adds items and sends the cart back.
    r = api(
        niaga,
        "POST",
        f"/conversations/{conversation_id}/share/product-list",
        agent,
        json={"product_ids": ids, "body": "Ini pilihan warnanya kak"},
    )
    assert r.status_code == 202, r.text
    order_id = wait_order(factory, conversation_id=conversation_id)
    order = api(niaga, "GET", f"/orders/{order_id}", agent).json()
    assert order["status"] == "baru" and order["items"]
    assert {i["sku"] for i in order["items"]} <= {"GMS-0", "GMS-1", "GMS-2"}
    assert order["total"] == sum(i["quantity"] * 150000 for i in order["items"])
    assert order["source"] == "click_to_chat"
    assert order["attribution"]["click_to_chat"]["sku"] == "GMS-1"
    listed = wait_for(
        lambda: api(
            niaga, "GET", "/orders", agent, params={"conversation_id": conversation_id}
        ).json()["items"]
    )
    assert [o["id"] for o in listed] == [order_id]

    # The cart was confirmed at once, in the chat (the agent sees it in the thread).
    label = order["label"]
    confirmation = wait_for(
        lambda: [
            m
            for m in sandbox.messages(to=PHONE)
            if m["type"] == "text" and f"Pesanan {label} kami terima" in m["body"]["text"]["body"]
        ]
    )
    assert "Dewi" in confirmation[0]["body"]["text"]["body"]
    make_user(factory, "agent", email="rina@toko.test", name="Rina")
    with transaction(factory) as s:
        do_save_quick_reply(
            s,
            shortcut="lacak",
            title="Lacak",
            body="Kak {{nama}}, pesanan {{no_pesanan}} bisa dilacak di {{link_lacak}} 🙏",
        )
    r = api(
        niaga,
        "POST",
        f"/orders/{order_id}/status",
        agent,
        json={
            "status": "dikirim",
            "courier": "JNE REG",
            "tracking_number": "JX77",
            "tracking_url": "https://jne.example/lacak/JX77",
        },
    )
    assert r.status_code == 200, r.text
    sign_in(page, niaga.url, "rina@toko.test")
    page.goto(f"{niaga.url}/inbox?c={conversation_id}&status=")
    expect(page.locator("#thread")).to_contain_text(f"Pesanan {label} kami terima")
    box = page.locator("#composer-text")
    box.fill("/laca")
    box.press("k")
    expect(page.locator(".qr-item")).to_contain_text("/lacak")
    box.press("Enter")
    expect(box).to_have_value(
        f"Kak Dewi, pesanan {label} bisa dilacak di https://jne.example/lacak/JX77 🙏"
    )


def test_agent_sends_a_product_list_from_the_composer(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    """The inbox step: the agent picks products in the composer; the cart becomes an order
    that appears in the chat's contact panel without a reload."""
    from playwright.sync_api import expect

    from tests.e2e.test_inbox_e2e import sign_in
    from tests.web.web_helpers import make_user

    admin = token(factory, "admin")
    for i, colour in enumerate(("Navy", "Hitam", "Maroon")):
        add_product(niaga, admin, sku=f"GMS-{i}", name=f"Gamis {colour}", price=150000, stock=10)
    make_user(factory, "agent", email="rina@toko.test", name="Rina")
    sandbox = SandboxControl(niaga.url)
    sandbox.customer(PHONE, "Dewi", autoreply=True)
    sandbox.send(PHONE, type="text", text="Kak, gamisnya ada warna apa aja?")
    open_conversation(niaga, factory, PHONE, "Dewi")

    sign_in(page, niaga.url, "rina@toko.test")
    page.locator("a.conv", has_text="Dewi").click()
    page.get_by_role("button", name="🛍 Katalog").click()
    page.get_by_label("Cari produk").fill("gamis")
    expect(page.locator(".product-row")).to_have_count(3)
    page.locator(".product-row", has_text="Gamis Navy").locator("input").check()
    page.locator(".product-row", has_text="Gamis Hitam").locator("input").check()
    page.get_by_role("button", name="Kirim daftar produk").click()
    sent = wait_for(lambda: [m for m in sandbox.messages(to=PHONE) if m["type"] == "interactive"])
    items = sent[0]["body"]["interactive"]["action"]["sections"][0]["product_items"]
    assert {i["product_retailer_id"] for i in items} == {"GMS-0", "GMS-1"}
    # The customer's cart comes back; the order shows up in the contact panel, live.
    expect(page.locator("#orders")).to_contain_text("#10001", timeout=15_000)
    expect(page.locator("#thread .order")).to_be_visible()
