"""The shop settings in real headless Chromium: the owner sets hours and a holiday, writes the
greeting with its live preview, switches "away", and sandbox customers get the right words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from niaga.automation.defaults import do_seed_defaults
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.i18n import format_day
from tests.conftest import LiveServer, wait_for
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import make_user

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def texts_to(sb: SandboxControl, phone: str) -> list[str]:
    return [m["body"]["text"]["body"] for m in sb.messages(to=phone) if m["type"] == "text"]


def test_owner_sets_hours_a_holiday_and_away_and_customers_hear_it(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    with transaction(factory) as s:
        do_seed_defaults(s)
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    sign_in(page, niaga.url, "sari@toko.test")
    page.get_by_role("link", name="Toko").click()
    expect(page.locator("h1")).to_have_text("Toko")

    page.locator("#profile").get_by_label("Nama").fill("Toko Sari")
    page.locator("#profile").get_by_role("button", name="Simpan").click()

    hours = page.locator("#hours")
    for day in DAYS:
        hours.get_by_label(day, exact=True).fill("00:00-24:00")
    hours.get_by_role("button", name="Simpan").click()
    expect(page.locator("#open-state")).to_contain_text("Buka sekarang")

    # The greeting's preview follows the typing; then it is saved.
    texts = page.locator("#texts")
    texts.get_by_label("Salam pembuka").fill("Halo {name}! Selamat datang di {business} 🌸")
    expect(page.locator("#preview-greeting")).to_have_text(
        "Halo Budi! Selamat datang di Toko Sari 🌸"
    )
    texts.get_by_role("button", name="Simpan").click()

    # Today (in Jakarta) becomes a holiday: closed until tomorrow 00:00.
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date()
    holidays = page.locator("#holidays")
    holidays.get_by_label("Tanggal").fill(today.isoformat())
    holidays.get_by_label("Nama (opsional)").fill("Stock opname")
    holidays.get_by_role("button", name="Tambah hari libur").click()
    expect(page.locator("#holiday-list")).to_contain_text("Stock opname")
    expect(page.locator("#open-state")).to_contain_text("Tutup sekarang")
    screenshot(page, "shop-settings.png", full_page=True)

    sb = SandboxControl(niaga.url)
    sb.customer("6281234500101", "Putri")
    sb.send("6281234500101", type="text", text="Kak, gamis hitam L ready?")
    wait_for(lambda: len(texts_to(sb, "6281234500101")) >= 2, timeout=15)
    heard = texts_to(sb, "6281234500101")
    assert "Halo Putri! Selamat datang di Toko Sari 🌸" in heard
    tomorrow = today + timedelta(days=1)
    away = next(t for t in heard if "sedang tutup" in t)
    weekday = format_day(tomorrow, "id").split(",")[0]
    assert "Putri. Saat ini kami sedang tutup" in away
    assert f"buka kembali pada {weekday}, {tomorrow.day} " in away and away.endswith(" 00:00.")

    # The holiday removed, the owner steps out by hand.
    page.locator("#holiday-list").get_by_role("button", name="Hapus").first.click()
    expect(page.locator("#open-state")).to_contain_text("Buka sekarang")
    page.locator("#away-on").click()
    expect(page.locator("#open-state")).to_contain_text("tidak di tempat")
    sb.customer("6281234500102", "Budi")
    sb.send("6281234500102", type="text", text="Permisi, mau tanya ongkir ke Medan")
    wait_for(
        lambda: any("sedang tidak di tempat" in t for t in texts_to(sb, "6281234500102")),
        timeout=15,
    )
    page.locator("#away-off").click()
    expect(page.locator("#open-state")).to_contain_text("Buka sekarang")
