"""Every page works under Niaga's Content-Security-Policy: no inline script is refused."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import LiveServer
from tests.e2e.test_inbox_e2e import sign_in
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import make_user


def test_pages_raise_no_csp_violation_and_language_switch_still_works(
    page: Page, niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    SandboxControl(niaga.url).send("6281234567891", type="text", text="Halo kak")
    sign_in(page, niaga.url, "owner@toko.test")
    for path in (
        "/inbox",
        "/orders",
        "/catalog",
        "/settings/shop",
        "/settings/status",
        "/settings/rules",
        "/settings/labels",
        "/settings/users",
        "/katalog",
        "/sandbox/phone",
    ):
        page.goto(niaga.url + path)
        page.wait_for_load_state("networkidle")
    assert violations == []
    page.goto(niaga.url + "/inbox")
    page.get_by_label("Bahasa").select_option("en")  # bound by /static/page.js, not inline
    expect(page.get_by_role("link", name="Inbox")).to_be_visible()
