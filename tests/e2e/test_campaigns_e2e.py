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
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, wait_for
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


def approved(niaga: LiveServer, headers: dict[str, str], name: str, body: str) -> None:
    """A marketing template submitted through the API and approved by the sandbox."""
    draft = {
        "name": name,
        "language": "id",
        "category": "MARKETING",
        "body": body,
        "samples": {"nama": "Siti"},
    }
    template = api(niaga, "POST", "/templates", headers, json=draft).json()
    assert api(niaga, "POST", f"/templates/{template['id']}/submit", headers).status_code == 200
    wait_for(
        lambda: (
            api(niaga, "GET", f"/templates/{template['id']}", headers).json()["status"]
            == "APPROVED"
        ),
        timeout=15,
    )


def test_owner_tests_two_versions_sends_the_winner_and_follows_up(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    headers = token(factory)
    approved(niaga, headers, "promo_pendek", "Hai {{nama}}, diskon 20% hari ini!")
    approved(niaga, headers, "promo_panjang", "Halo {{nama}}, koleksi baru datang dan diskon 20%.")
    with transaction(factory) as s:
        for n in range(1, 13):  # (a number ending 0000 is not on WhatsApp in the sandbox)
            c = Contact(phone=f"+628123888{n:04d}", wa_id=f"628123888{n:04d}", display_name="Pe")
            s.add(c)
            s.flush()
            consent.do_record(s, c, granted=True, source="import", proof="daftar toko")
    sign_in(page, niaga.url, "sari@toko.test")

    page.goto(f"{niaga.url}/campaigns")
    page.get_by_label("Nama", exact=True).fill("Uji dua versi")
    page.locator("select[name=template_id]").select_option(label="promo_pendek (id)")
    page.get_by_label("Uji versi kedua (B) melawan versi ini (A)").check()
    page.get_by_label("Template versi B").select_option(label="promo_panjang (id)")
    expect(page.locator("#camp-params-b .camp-param[data-param=nama]")).to_be_visible()
    page.get_by_label("Bandingkan berdasarkan").select_option("replied")
    page.get_by_label("Uji dulu pada (persen audiens)").fill("50")
    page.get_by_role("button", name="Periksa audiens dan biaya").click()
    expect(page.locator("#camp-plan tr", has_text="Akan menerima")).to_contain_text("12")
    page.get_by_role("button", name="Kirim sekarang").click()
    expect(page).to_have_url(re.compile(r"/campaigns/\d+$"))

    # Half the audience gets the test, split between A and B; the rest waits for the winner.
    ab = page.locator("#ab")
    tested = 0
    for _ in range(120):
        page.reload()
        sent = [int(ab.locator(f'tr[data-variant="{v}"] td').nth(2).inner_text()) for v in "AB"]
        tested = sum(sent)
        if (
            tested
            and page.locator("#send-winner").count()
            and not int(page.locator('[data-figure="queued"]').inner_text())
        ):
            break
        page.wait_for_timeout(250)
    assert all(sent), sent
    held = 12 - tested
    assert held > 0
    # The verdict in words, its placeholders filled (both read everything: no difference).
    expect(page.locator("#ab-verdict")).to_contain_text(
        re.compile(r"Tidak ada perbedaan antara [AB] dan [AB] \(p = 1\)")
    )
    expect(
        page.locator(".small.muted", has_text="pelanggan menunggu versi pemenang")
    ).to_contain_text(f"{held} pelanggan")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Kirim pemenang ke sisanya sekarang").click()
    for _ in range(120):
        if page.locator('[data-figure="sent"]').inner_text() == "12" and page.locator(
            '[data-figure="read"]'
        ).inner_text().startswith("12"):
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator('[data-figure="sent"]')).to_have_text("12")
    expect(page.locator("#ab .badge")).to_have_text("dikirim ke sisanya")
    screenshot(page, "campaign-ab.png", full_page=True)

    # Nobody replied: one click keeps them as a segment for the next campaign.
    page.get_by_role("button", name="Membaca, belum membalas").click()
    expect(page).to_have_url(re.compile(r"/campaigns/segments#segment-\d+$"))
    saved = page.locator('tr[data-segment="Uji dua versi: dibaca, belum membalas"]')
    expect(saved).to_contain_text("Membaca, belum membalas")
    expect(saved.locator("[data-count]")).to_have_text("12")
