"""The owner makes a click-to-chat link for an Instagram bio in real headless Chromium, sees
its QR code, and the chat a customer starts through it is counted."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import make_user

PHONE = "6281234577201"


def test_owner_makes_a_link_and_sees_the_chats_it_brings(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    sign_in(page, niaga.url, "sari@toko.test")
    page.get_by_role("link", name="Tautan & QR").click()
    expect(page.get_by_role("heading", name="Tautan chat")).to_be_visible()
    page.get_by_label("Nama", exact=True).fill("Bio Instagram")
    page.get_by_label("Tempat").select_option("instagram")
    page.get_by_label("Pesan pembuka").fill("Halo Toko Sari, saya dari Instagram")
    page.get_by_role("button", name="Buat tautan").click()
    row = page.locator("tr[data-code]", has_text="Bio Instagram")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Instagram")
    qr = row.get_by_role("img")
    expect(qr).to_have_attribute("src", re.compile(r"/qr\.svg$"))
    # The QR is a lazy image: wait for it to load (on a busy machine it may not have yet),
    # then it must have drawn something.
    page.wait_for_function("(img) => img.complete", arg=qr.element_handle(), timeout=10_000)
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    link = row.get_by_label("Tautan").input_value()
    text = parse_qs(urlsplit(link).query)["text"][0]
    assert text.startswith("Halo Toko Sari, saya dari Instagram (Kode: ")

    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Nina")
    sb.send(PHONE, type="text", text=text)
    for _ in range(40):
        page.reload()
        if row.locator("[data-chats]").inner_text() == "1":
            break
        page.wait_for_timeout(250)
    expect(row.locator("[data-chats]")).to_have_text("1")
    screenshot(page, "links.png", full_page=True)
