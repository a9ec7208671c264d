"""The public catalog in headless Chromium: mobile layout, search, the WhatsApp button."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.catalog.helpers import add_product, api, token
from tests.conftest import LiveServer


def test_public_catalog_on_a_phone(niaga: LiveServer, factory: Any, page: Page) -> None:
    admin = token(factory, "admin")
    api(niaga, "PUT", "/catalog/settings", admin, json={"shop_name": "Toko Sari"})
    add_product(
        niaga,
        admin,
        sku="GMS-NAVY-L",
        name="Gamis Navy L",
        price=150000,
        collections=["Baju Muslim"],
        description="Gamisnya adem dan longgar.",
    )
    add_product(
        niaga, admin, sku="KMJ-02", name="Kemeja Batik", price=200000, collections=["Pakaian Pria"]
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{niaga.url}/katalog")
    expect(page).to_have_title("Toko Sari")
    cards = page.locator("li.card")
    expect(cards).to_have_count(2)
    # Mobile first: two columns, nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card = page.locator('li.card[data-sku="GMS-NAVY-L"]')
    button = card.get_by_role("link", name="Pesan via WhatsApp")
    expect(button).to_be_visible()
    href = button.get_attribute("href") or ""
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281100000000")
    assert parse_qs(parts.query)["text"] == ["Halo, saya mau pesan Gamis Navy L (SKU: GMS-NAVY-L)"]
    assert button.get_attribute("target") == "_blank"

    # Clicking opens WhatsApp with the message (the request is caught: no network here).
    opened: list[str] = []
    page.context.route(
        "https://wa.me/**",
        lambda route: (opened.append(route.request.url), route.fulfill(body="WhatsApp")),
    )
    with page.context.expect_page() as popup:
        button.click()
    popup.value.wait_for_load_state()
    assert opened and opened[0] == href

    # Search with a suffixed word, then open the product page.
    page.get_by_role("searchbox").fill("kemejanya")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator("li.card")).to_have_count(1)
    expect(page.locator("li.card h2")).to_have_text("Kemeja Batik")
    page.get_by_role("link", name="Semua").click()
    page.get_by_role("link", name="Gamis Navy L").click()
    expect(page.locator("article.detail h2")).to_have_text("Gamis Navy L")
    expect(page.get_by_text("Gamisnya adem dan longgar.")).to_be_visible()
    expect(page.get_by_role("link", name="Pesan via WhatsApp")).to_have_attribute("href", href)
