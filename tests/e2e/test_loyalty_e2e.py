"""Loyalty in real headless Chromium: the owner sets an earning rule and a reward on the
*Loyalitas* page, a sandbox customer's order completes, and the owner sees the customer's
balance, level and history in the inbox's contact panel; the agent uses the customer's code on
the orders page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from niaga.core.db import transaction
from niaga.loyalty import rewards
from niaga.orders import service as orders
from niaga.orders.schemas import StatusChangeIn
from tests.catalog.helpers import add_product, open_conversation, token, wait_order
from tests.conftest import LiveServer, wait_for
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import make_user

PHONE = "6281234500456"


def test_owner_sets_a_rule_and_a_reward_and_sees_the_balance_in_the_inbox(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    add_product(niaga, token(factory, "admin"), sku="SBN-01", name="Sabun Sereh", price=25_000)
    sign_in(page, niaga.url, "sari@toko.test")
    page.get_by_role("link", name="Loyalitas").click()
    expect(page.locator("h1")).to_have_text("Loyalitas")

    # 3 points per Rp10.000 instead of the default 1.
    spend = page.locator('#rules tr[data-source="spend"]')
    spend.get_by_label("Poin", exact=True).fill("3")
    page.locator("#save-program").click()
    expect(
        page.locator('#rules tr[data-source="spend"]').get_by_label("Poin", exact=True)
    ).to_have_value("3")

    form = page.locator("#new-reward")
    form.get_by_label("Nama").fill("Diskon Rp10.000")
    form.get_by_label("Jenis").select_option("discount_amount")
    form.get_by_label("Nilai (Rupiah atau persen)").fill("10000")
    form.get_by_label("Harga dalam poin").fill("20")
    form.get_by_role("button", name="Tambah hadiah").click()
    expect(page.locator("#rewards")).to_contain_text("Diskon Rp10.000")
    expect(page.locator("#rewards")).to_contain_text("20 poin")
    screenshot(page, "loyalty.png", full_page=True)

    conversation_id = open_conversation(niaga, factory, PHONE, name="Wulan")
    SandboxControl(niaga.url).send(
        PHONE,
        type="order",
        items=[
            {"product_retailer_id": "SBN-01", "quantity": 4, "item_price": 25000, "currency": "IDR"}
        ],
    )
    order_id = wait_order(factory, conversation_id=conversation_id)
    with transaction(factory) as s:
        orders.do_change_status(
            s,
            orders.get_order(s, order_id),
            StatusChangeIn(status="selesai", notify=False),
            settings=niaga.settings,
            actor_user_id=None,
        )
    page.goto(f"{niaga.url}/inbox?c={conversation_id}&status=")
    panel = page.locator("#loyalty")
    expect(panel.locator("#points-balance")).to_have_text("30 poin")  # Rp100.000 × 3/10.000
    expect(panel.locator("#points-tier")).to_have_text("Perunggu")
    expect(panel.locator("#points-history")).to_contain_text("+30 · didapat")

    # The customer redeems; the owner uses the code on the next order from the orders page.
    with transaction(factory) as s:
        contact_id = orders.get_order(s, order_id).contact_id
        reward = rewards.available(s)[0]
        code = rewards.do_redeem(s, contact_id, reward.id).code
    SandboxControl(niaga.url).send(
        PHONE,
        type="order",
        items=[
            {"product_retailer_id": "SBN-01", "quantity": 2, "item_price": 25000, "currency": "IDR"}
        ],
    )
    wait_for(lambda: wait_order(factory, conversation_id=conversation_id) != order_id)
    page.goto(f"{niaga.url}/orders")
    row = page.locator("#orders-table tr").filter(has=page.locator("form.reward-code")).first
    expect(row).to_be_visible()
    row.get_by_label("Kode hadiah").fill(code.lower())
    row.get_by_role("button", name="Pakai kode").click()
    expect(page.locator(".flash")).to_contain_text(f"Kode {code} dipakai")
    expect(page.locator("#orders-table")).to_contain_text("Diskon Rp10.000")
    page.goto(f"{niaga.url}/inbox?c={conversation_id}&status=")
    expect(page.locator("#points-balance")).to_have_text("10 poin")
    expect(page.locator("#points-codes")).to_contain_text("sudah dipakai")
    screenshot(page, "loyalty-contact-panel.png")
