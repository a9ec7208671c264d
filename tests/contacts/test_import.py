"""Importing a customer list through the live server: CSV and XLSX, a dry run that lists every
bad row and changes nothing, then the import with each consent in the ledger."""

from __future__ import annotations

import io
from typing import Any

import httpx
from openpyxl import Workbook
from sqlalchemy import select

from niaga.contacts import consent
from niaga.contacts.models import Contact, ContactLabel, Label
from niaga.core.db import transaction
from tests.catalog.helpers import token
from tests.conftest import LiveServer

CSV = (
    "Nama;No WA;Setuju promo;Sumber;Label;Kota\n"
    "Siti Rahma;0812-3456-7890;ya;formulir toko 2026;VIP, Jakarta;Jakarta\n"
    "Budi;+62 812 3456 7891;tidak;;;Bandung\n"
    "Rina;6281234567892;YES;Instagram giveaway;VIP;Depok\n"
    "Salah;12345;ya;;;\n"
    "Siti lagi;081234567890;ya;;;\n"
    "Agus;0813 9876 5432;mungkin;;;Bogor\n"
)


def upload(niaga: LiveServer, headers: dict[str, str], name: str, data: bytes) -> httpx.Response:
    return httpx.post(
        f"{niaga.url}/api/v1/contacts/import",
        headers=headers,
        files={"file": (name, data)},
        timeout=30,
    )


def test_a_csv_is_checked_row_by_row_and_imported_only_when_confirmed(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    with transaction(factory) as s:  # a customer who already wrote to the shop
        s.add(Contact(phone="+6281234567891", wa_id="6281234567891", profile_name="Budi S"))
    r = upload(niaga, admin, "pelanggan.csv", CSV.encode())
    assert r.status_code == 201, r.text
    dry = r.json()
    report = dry["report"]
    assert (report["rows"], report["new"], report["updated"], report["with_consent"]) == (
        6,
        3,
        1,
        2,
    )
    assert [(p["row"], p["reason"]) for p in report["skipped"]] == [
        (5, "invalid_phone"),
        (6, "duplicate"),
    ]
    assert report["skipped"][1]["detail"] == "row 2"
    assert [(p["row"], p["reason"]) for p in report["without_consent"]] == [
        (3, "missing_consent"),
        (7, "unclear_consent"),
    ]
    assert report["columns"] == {
        "Nama": "name",
        "No WA": "phone",
        "Setuju promo": "consent",
        "Sumber": "consent_source",
        "Label": "labels",
        "Kota": "attribute",
    }
    with factory() as s:
        assert len(s.scalars(select(Contact)).all()) == 1  # the dry run changed nothing

    done = httpx.post(
        f"{niaga.url}/api/v1/contacts/import/{dry['id']}/confirm", headers=admin, timeout=30
    )
    assert done.status_code == 200 and done.json()["status"] == "imported"
    with factory() as s:
        contacts = {c.phone: c for c in s.scalars(select(Contact))}
        assert set(contacts) == {
            "+6281234567890",
            "+6281234567891",
            "+6281234567892",
            "+6281398765432",
        }
        siti = contacts["+6281234567890"]
        assert siti.display_name == "Siti Rahma" and siti.attributes == {"Kota": "Jakarta"}
        assert siti.wa_id == "6281234567890" and not siti.marketing_opt_out
        (entry,) = consent.history(s, siti.id)
        assert (entry.granted, entry.source) == (True, "import")
        assert entry.proof == "pelanggan.csv, row 2: formulir toko 2026"
        budi = contacts["+6281234567891"]
        assert budi.profile_name == "Budi S" and consent.history(s, budi.id) == []
        assert consent.state(s, contacts["+6281398765432"].id).granted is None
        vip = s.scalars(select(Label).where(Label.name == "VIP")).one()
        tagged = s.scalars(select(ContactLabel.contact_id).where(ContactLabel.label_id == vip.id))
        assert set(tagged) == {siti.id, contacts["+6281234567892"].id}
    again = httpx.post(
        f"{niaga.url}/api/v1/contacts/import/{dry['id']}/confirm", headers=admin, timeout=30
    )
    assert again.status_code == 409


def test_an_excel_list_with_numbers_typed_as_numbers(niaga: LiveServer, factory: Any) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "WhatsApp", "Marketing consent"])
    sheet.append(["Dewi", 6281234567893, "yes"])
    sheet.append(["Eko", "0812 3456 7894", "no"])
    out = io.BytesIO()
    book.save(out)
    admin = token(factory, "admin")
    r = upload(niaga, admin, "customers.xlsx", out.getvalue())
    assert r.status_code == 201, r.text
    report = r.json()["report"]
    assert (report["new"], report["with_consent"], report["skipped"]) == (2, 1, [])


def test_files_that_are_not_customer_lists_get_a_clear_refusal(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    cases = {
        "kosong.csv": b"",
        "tanpa-nomor.csv": b"Nama,Kota\nSiti,Jakarta\n",
        "rusak.xlsx": b"PK\x03\x04 not really a workbook",
        "biner.csv": bytes(range(256)) * 10,
    }
    for name, data in cases.items():
        r = upload(niaga, admin, name, data)
        assert r.status_code == 422, (name, r.status_code, r.text)
        assert r.json()["field"] == "file"
    assert upload(niaga, token(factory, "agent"), "x.csv", CSV.encode()).status_code == 403
    missing = httpx.post(
        f"{niaga.url}/api/v1/contacts/import/999999/confirm", headers=admin, timeout=30
    )
    assert missing.status_code == 404
