"""The owner's whole campaign in real headless Chromium: a template from the guide's preset,
an audience, the audience and cost check, send now, and the report; the sandbox plays the
customers and Meta."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from niaga.contacts import consent
from niaga.contacts.models import Contact
from niaga.core.db import transaction
from tests.conftest import LiveServer
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.web.web_helpers import make_user


def customers(factory: Any) -> None:
    with transaction(factory) as s:
        for n, name in enumerate(("Ani Lestari", "Bayu Saputra", "Citra Dewi")):
            c = Contact(
                phone=f"+628123777{n + 1:04d}",
                wa_id=f"628123777{n + 1:04d}",
                display_name=name,
                attributes={"kota": "Jakarta", "produk": "gamis navy"},
            )
            s.add(c)
            s.flush()
            consent.do_record(s, c, granted=True, source="import", proof="daftar toko")
        s.add(
            Contact(
                phone="+6281237779999",
                wa_id="6281237779999",
                display_name="Dedi",
                attributes={"kota": "Bandung"},
            )
        )


def test_owner_runs_a_campaign_from_a_preset_to_its_report(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    customers(factory)
    sign_in(page, niaga.url, "sari@toko.test")

    # A template from the guide's discount preset, submitted and approved by the sandbox.
    page.goto(f"{niaga.url}/settings/templates")
    page.get_by_label("Mulai dari contoh").select_option("discount")
    page.get_by_label("Nama", exact=True).fill("promo_akhir_tahun")
    expect(page.locator("#tpl-state")).to_have_text("Siap diajukan.")
    page.get_by_role("button", name="Ajukan ke WhatsApp").click()
    expect(page).to_have_url(re.compile(r"submitted=promo_akhir_tahun"))
    row = page.locator('tr[data-template="promo_akhir_tahun"]')
    for _ in range(40):
        page.reload()
        if row.get_attribute("data-status") == "APPROVED":
            break
        page.wait_for_timeout(250)
    expect(row).to_contain_text("Disetujui")

    # The campaign: audience in Jakarta, the product from the customer, a fixed date.
    page.get_by_role("link", name="Kampanye", exact=True).click()
    expect(page.get_by_role("heading", name="Kampanye", exact=True)).to_be_visible()
    page.get_by_label("Nama", exact=True).fill("Diskon Akhir Tahun")
    page.locator("select[name=template_id]").select_option(label="promo_akhir_tahun (id)")
    page.get_by_role("button", name="+ Atribut").click()
    condition = page.locator(".camp-condition")
    expect(condition).to_have_count(1)
    condition.locator("input[name=key]").fill("kota")
    condition.locator("input[name=value]").fill("Jakarta")
    produk = page.locator('.camp-param[data-param="produk"]')
    produk.locator("select").select_option("attribute")
    produk.locator('input[name="extra.produk"]').fill("produk")
    tanggal = page.locator('.camp-param[data-param="tanggal"]')
    tanggal.locator("select").select_option("text")
    tanggal.locator('input[name="extra.tanggal"]').fill("31 Desember")
    page.get_by_label("Tombol tautan menuju").fill("https://toko.example/promo")

    page.get_by_label("Nama segmen").fill("Pelanggan Jakarta")
    page.get_by_role("button", name="Simpan sebagai segmen").click()
    expect(page.locator("#camp-segment-state")).to_have_text("Tersimpan: 3 pelanggan saat ini.")

    page.get_by_role("button", name="Periksa audiens dan biaya").click()
    plan = page.locator("#camp-plan")
    expect(plan).to_contain_text("Audiens")
    expect(plan.locator("tr", has_text="Akan menerima")).to_contain_text("3")
    expect(plan.locator("tr", has_text="Perkiraan biaya")).to_contain_text("Rp")
    screenshot(page, "campaign-editor.png", full_page=True)

    page.get_by_role("button", name="Kirim sekarang").click()
    expect(page).to_have_url(re.compile(r"/campaigns/\d+$"))
    status = page.locator("#campaign-status")
    for _ in range(120):
        if status.get_attribute("data-status") == "completed" and page.locator(
            '[data-figure="read"]'
        ).inner_text().startswith("3"):
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(status).to_have_text("Selesai")
    expect(page.locator('[data-figure="sent"]')).to_have_text("3")
    expect(page.locator('[data-figure="read"]')).to_contain_text("tingkat dibaca 100.0%")
    screenshot(page, "campaign-report.png", full_page=True)
    page.goto(f"{niaga.url}/campaigns/segments")
    saved = page.locator('tr[data-segment="Pelanggan Jakarta"]')
    expect(saved.locator("[data-count]")).to_have_text("3")
    expect(saved).to_contain_text("kota Jakarta")
