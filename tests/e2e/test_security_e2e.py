"""Account protection in real headless Chromium: the owner makes the second factor
mandatory, a colleague sets it up at her next sign-in, the owner signs her devices out, and
walks an incident from the audit log to the drafted notice for customers."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from niaga.core import clock
from niaga.security import two_factor
from tests.conftest import LiveServer
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.web.web_helpers import PASSWORD, make_user


def test_mandatory_second_factor_device_revocation_and_an_incident(
    niaga: LiveServer, factory: Any, page: Page, browser: Browser
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    make_user(factory, "agent", email="rina@toko.test", name="Rina")
    sign_in(page, niaga.url, "sari@toko.test")

    # The owner requires a second factor for everyone.
    page.get_by_role("link", name="Keamanan").click()
    page.get_by_label("Faktor kedua wajib untuk").select_option("everyone")
    page.locator("#policy").get_by_role("button", name="Simpan").click()
    expect(page.locator(".flash")).to_contain_text("Tersimpan")
    expect(page.locator("#people-security")).to_contain_text("Wajib, belum disiapkan")
    screenshot(page, "security-policy.png")

    # Rina signs in: she must set it up before she gets in.
    rina_context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    rina = rina_context.new_page()
    rina.goto(f"{niaga.url}/login")
    rina.get_by_label("Email").fill("rina@toko.test")
    rina.get_by_label("Kata sandi").fill(PASSWORD)
    rina.get_by_role("button", name="Masuk").click()
    expect(rina).to_have_url(re.compile(r"/login/2fa"))
    expect(rina.get_by_alt_text("Kode QR untuk aplikasi autentikator")).to_be_visible()
    secret = rina.locator("[data-totp-secret]").inner_text().strip()
    rina.get_by_label("Kode").fill(two_factor.current_code(secret))
    rina.get_by_role("button", name="Lanjutkan").click()
    expect(rina.get_by_role("heading", name="Kode pemulihan")).to_be_visible()
    expect(rina.locator("#recovery-codes code")).to_have_count(10)
    rina.get_by_role("link", name="Sudah saya simpan, lanjutkan").click()
    expect(rina).to_have_url(re.compile(r"/inbox"))

    # The owner sees it, and signs Rina out of every device.
    page.reload()
    row = page.locator("#people-security tr", has_text="Rina")
    expect(row).to_contain_text("Aktif")
    expect(row).to_contain_text("1 perangkat")
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Keluarkan dari semua perangkat").click()
    expect(page.locator("#people-security tr", has_text="Rina")).to_contain_text("0 perangkat")
    rina.reload()
    expect(rina).to_have_url(re.compile(r"/login"))
    rina_context.close()

    # From the audit log to an incident and the drafted customer notice.
    page.get_by_role("link", name="Log audit").click()
    page.get_by_label("Siapa").select_option(label="Rina")
    page.get_by_role("button", name="Saring").click()
    expect(page.locator("#audit")).to_contain_text("Faktor kedua diaktifkan")
    page.locator("#open-incident").click()
    expect(page.get_by_role("heading", name="Insiden")).to_be_visible()
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    form = page.locator("#new-incident")
    form.get_by_label("Nama").fill("Ponsel Rina hilang")
    form.get_by_label("Dari").fill(today)
    expect(form.get_by_label("Rina")).to_be_checked()
    form.get_by_role("button", name="Buka insiden").click()
    expect(page.get_by_role("heading", name=re.compile("Ponsel Rina hilang"))).to_be_visible()
    expect(page.locator("#scope")).to_contain_text("Rina")
    notice = page.locator("#customer-notice")
    expect(notice).to_have_value(re.compile("yang terhormat"))
    page.locator("[data-step='assess'] input[name=note]").fill("Hanya masuk, tidak ada ekspor")
    page.locator("[data-step='assess']").get_by_role("button", name="Tandai selesai").click()
    expect(page.locator("[data-step='assess']")).to_have_class(re.compile("done"))
    screenshot(page, "incident.png", full_page=True)
