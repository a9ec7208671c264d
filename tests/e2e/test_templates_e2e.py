"""The owner writes a template from the guide's preset in real headless Chromium: live rules
and advice, a preview with the samples, submission to the sandbox and its approval."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from niaga.templates import service
from niaga.templates.models import MessageTemplate
from tests.conftest import LiveServer
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.web.web_helpers import make_user


def test_owner_writes_a_template_from_a_preset_and_gets_it_approved(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    sign_in(page, niaga.url, "sari@toko.test")
    page.get_by_role("link", name="Template", exact=True).click()
    expect(page).to_have_url(re.compile(r"/settings/templates"))
    expect(page.get_by_role("heading", name="Template pesan")).to_be_visible()

    page.get_by_label("Mulai dari contoh").select_option("discount")
    preview = page.locator("#tpl-preview")
    expect(preview).to_contain_text("Hai Siti! Dapatkan diskon 20% untuk gamis navy")
    expect(preview).to_contain_text("Belanja sekarang")
    expect(page.locator("#tpl-state")).to_have_text("Siap diajukan.")

    # A missing sample is named before anything reaches WhatsApp, in Bahasa Indonesia.
    sample = page.locator('#tpl-samples input[name="produk"]')
    sample.fill("")
    expect(page.locator("#tpl-problems")).to_contain_text("Isi contoh nilai untuk {{produk}}.")
    expect(sample).to_have_attribute("aria-invalid", "true")
    sample.fill("kemeja batik")
    expect(page.locator("#tpl-problems")).to_be_empty()
    expect(preview).to_contain_text("untuk kemeja batik")

    # The guide's advice appears while writing: no name, no call to action.
    body = page.locator("textarea[name=body]")
    body.fill("Halo, ada koleksi baru di toko kami minggu ini.")
    expect(page.locator("#tpl-advice")).to_contain_text("sapa pelanggan dengan namanya")
    body.fill("Hai {{nama}}! Dapatkan diskon 20% untuk {{produk}} hingga {{tanggal}}. Yuk belanja!")
    page.get_by_label("Nama", exact=True).fill("promo_akhir_tahun")
    expect(page.locator("#tpl-state")).to_have_text("Siap diajukan.")
    screenshot(page, "templates.png", full_page=True)

    page.get_by_role("button", name="Ajukan ke WhatsApp").click()
    expect(page).to_have_url(re.compile(r"submitted=promo_akhir_tahun"))
    row = page.locator('tr[data-template="promo_akhir_tahun"]')
    expect(row).to_be_visible()
    # The sandbox reviews it and WhatsApp's webhook says approved.
    for _ in range(30):
        page.reload()
        if row.get_attribute("data-status") == "APPROVED":
            break
        page.wait_for_timeout(500)
    expect(row).to_contain_text("Disetujui")


def _approved(page: Page, name: str) -> None:
    row = page.locator(f'tr[data-template="{name}"]')
    for _ in range(40):
        page.reload()
        if row.get_attribute("data-status") == "APPROVED":
            break
        page.wait_for_timeout(250)
    expect(row).to_have_attribute("data-status", "APPROVED")


def test_owner_writes_an_image_header_and_changes_the_approved_template(
    niaga: LiveServer, factory: Any, page: Page, tmp_path: Path
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    picture = tmp_path / "koleksi.png"
    Image.new("RGB", (120, 60), "teal").save(picture)
    sign_in(page, niaga.url, "sari@toko.test")
    page.goto(f"{niaga.url}/settings/templates")
    page.get_by_label("Mulai dari contoh").select_option("new_arrival")
    page.get_by_label("Nama", exact=True).fill("koleksi_bergambar")
    page.locator("select[name=header]").select_option("image")
    expect(page.locator("#tpl-problems")).to_contain_text("Unggah contoh berkas untuk header.")
    page.locator("input[name=header_file]").set_input_files(str(picture))
    expect(page.locator("#tpl-header-file-state")).to_have_text("Berkas tersimpan.")
    expect(page.locator("#tpl-preview img.hdr-media")).to_be_visible()
    expect(page.locator("#tpl-state")).to_have_text("Siap diajukan.")
    page.get_by_role("button", name="Ajukan ke WhatsApp").click()
    expect(page).to_have_url(re.compile(r"submitted=koleksi_bergambar"))
    _approved(page, "koleksi_bergambar")

    # The approved template is changed in place; WhatsApp reviews it again.
    page.locator('tr[data-template="koleksi_bergambar"] [data-edit-held]').click()
    expect(page.locator("#tpl-state")).to_contain_text("Mengubah koleksi_bergambar")
    expect(page.get_by_label("Nama", exact=True)).to_have_js_property("readOnly", True)
    page.locator("input[name=footer]").fill("Balas BERHENTI untuk berhenti promo")
    page.get_by_role("button", name="Ajukan perubahan").click()
    expect(page).to_have_url(re.compile(r"changed=koleksi_bergambar"))
    _approved(page, "koleksi_bergambar")
    with factory() as s:
        template = s.scalars(select(MessageTemplate)).one()
        assert template.definition["footer"] == "Balas BERHENTI untuk berhenti promo"
        assert [c.new_value for c in service.history(s, template.id)] == [
            "PENDING",
            "APPROVED",
            "PENDING",
            "APPROVED",
        ]
