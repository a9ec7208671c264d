"""The dashboard and the API on a live server: the owner and the analyst read a week's figures
in Bahasa Indonesia with their bands, formulas, change and recommendations; agents do not see
it; a strategy-change period can be chosen to compare with."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import rollups
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer
from tests.web.web_helpers import login, make_user


def week_of_messages(factory: sessionmaker[Session]) -> None:
    """Today: four messages sent, three read, one failed; last week nothing."""
    now = clock.now()
    with transaction(factory) as s:
        contact = Contact(phone="+6281234588001", wa_id="6281234588001")
        s.add(contact)
        s.flush()
        chat = Conversation(contact_id=contact.id, phone_number_id="1", status="open")
        s.add(chat)
        s.flush()
        for status in ("read", "read", "read", "delivered", "failed"):
            s.add(
                Message(
                    conversation_id=chat.id,
                    contact_id=contact.id,
                    direction="out",
                    type="text",
                    status=status,
                    origin="agent",
                    error_code=131026 if status == "failed" else None,
                    created_at=now,
                    received_at=now,
                )
            )
    rollups.refresh(factory, "Asia/Jakarta")  # as the worker does every few seconds


def customer_writes(factory: sessionmaker[Session], *texts: str) -> None:
    """The customer of :func:`week_of_messages` writes now; the rollups catch up."""
    with transaction(factory) as s:
        chat = s.scalars(select(Conversation)).one()
        for text in texts:
            s.add(
                Message(
                    conversation_id=chat.id,
                    contact_id=chat.contact_id,
                    direction="in",
                    type="text",
                    status="received",
                    origin="customer",
                    text=text,
                    created_at=clock.now(),
                    received_at=clock.now(),
                )
            )
    rollups.refresh(factory, "Asia/Jakarta")


def test_owner_and_analyst_read_the_dashboard_agents_do_not(
    niaga: LiveServer, factory: Any
) -> None:
    week_of_messages(factory)
    for role in ("owner", "analyst"):
        make_user(factory, role)
        page = login(niaga.url, f"{role}@toko.test").get("/analytics")
        assert page.status_code == 200, page.text
        assert 'data-figure="open_rate" data-band="good"' in page.text
        assert "75.0%" in page.text and "Dibaca ÷ terkirim × 100 %. (3 / 4)" in page.text
        assert "Tingkat dibaca" in page.text and ">Baik<" in page.text
        assert "131026: 1" in page.text
        assert '<svg class="bars"' in page.text
    make_user(factory, "agent")
    agent = login(niaga.url, "agent@toko.test")
    assert agent.get("/analytics").status_code == 403
    assert agent.get("/analytics/behind/failed").status_code == 403
    owner = login(niaga.url, "owner@toko.test")
    month = owner.get("/analytics?period=month&against=2026-01-15")
    assert month.status_code == 200 and "2026-01" in month.text
    assert owner.get("/analytics?date=&against=").status_code == 200  # the form, left empty
    behind = owner.get("/analytics/behind/failed").text  # the figure's link leads here
    assert 'href="/analytics/behind/failed?period=week' in owner.get("/analytics").text
    assert "131026: " in behind and 'href="/inbox/c/' in behind
    assert behind.count("<tr>") == 1 + 1  # the header and the one failed message
    assert owner.get("/analytics/behind/read").text.count("<tr>") == 1 + 3
    assert owner.get("/analytics/behind/nope").status_code == 404
    page = owner.get("/analytics").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    saved = owner.post(
        "/analytics/bands",
        data={"csrf_token": csrf, "open_rate.good": "80", "open_rate.poor": "50,5"},
    )
    assert saved.status_code == 303
    assert 'data-figure="open_rate" data-band="fair"' in owner.get("/analytics").text
    split = owner.get("/analytics?by=campaign").text
    assert 'id="split" data-by="campaign"' in split and "Tidak ada di periode ini." in split
    customer_writes(factory, "Kak masih ada?")  # a chat the customer started themselves
    by_source = owner.get("/analytics?by=source").text.split('id="split"')[1]
    assert "Chat dari pelanggan sendiri" in by_source and "<th>Chat</th>" in by_source
    assert owner.get("/analytics?by=segment").status_code == 200
    assert owner.get("/analytics?by=somewhere").status_code == 422
    by_team = owner.get("/analytics").text  # by team: the chats without a team in one row
    assert 'data-row="—"' in by_team and "75.0%" in by_team.split('id="split"')[1]
    wrong = owner.get("/analytics?date=kemarin")
    assert wrong.status_code == 422 and "TTTT-BB-HH" in wrong.text


def test_the_api_gives_figures_with_formulas_bands_and_change(
    niaga: LiveServer, factory: Any
) -> None:
    week_of_messages(factory)
    reader = token(factory, "analyst")
    got = api(niaga, "GET", "/analytics/summary?period=week", reader | {"Accept-Language": "en"})
    assert got.status_code == 200, got.text
    body = got.json()
    opened = next(f for f in body["figures"] if f["key"] == "open_rate")
    assert opened["value"] == 75.0 and opened["band"] == "good" and opened["band_text"] == "Good"
    assert opened["formula_text"] == "Read ÷ sent × 100 %."
    assert opened["previous"] is None and opened["change_points"] is None  # nothing last week
    assert body["failures"] == {"131026": 1}
    split = api(niaga, "GET", "/analytics/breakdown?by=team", reader).json()
    assert [(r["name"], r["sent"], r["open_rate"]) for r in split] == [("—", 4, 75.0)]
    assert api(niaga, "GET", "/analytics/breakdown?by=city", reader).status_code == 422
    assert api(niaga, "GET", "/analytics/bands", reader).json()["open_rate"] == {
        "good": 75.0,
        "poor": 20.0,
    }
    manager = token(factory, "admin")
    wrong = api(
        niaga, "PUT", "/analytics/bands", manager, json={"open_rate": {"good": 1, "poor": 2}}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "open_rate"
    assert api(niaga, "PUT", "/analytics/bands", reader, json={}).status_code == 403
    bad = api(niaga, "GET", "/analytics/summary?period=year", reader)
    assert bad.status_code == 422
    assert api(niaga, "GET", "/analytics/summary?date=kemarin", reader).status_code == 422


def test_the_owner_enters_costs_and_reads_the_return(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/analytics")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    today = page.text.split('name="spent_on" value="')[1].split('"')[0]
    added = owner.post(
        "/analytics/costs",
        data={"csrf_token": csrf, "spent_on": today, "kind": "ads", "amount": "Rp150.000"},
    )
    assert added.status_code == 303
    shown = owner.get(added.headers["location"]).text
    assert 'data-roi="costs">Rp150.000<' in shown and "Iklan" in shown
    assert 'data-roi="profit">−Rp150.000<' in shown  # nothing sold yet
    wrong = owner.post(  # the form again, with the reason; nothing recorded
        "/analytics/costs",
        data={"csrf_token": csrf, "spent_on": today, "kind": "sewa", "amount": "10"},
        headers={"Referer": f"{niaga.url}/analytics"},
    )
    assert wrong.status_code == 303 and "flash=" in wrong.headers["location"]
    assert "Pilih iklan, staf, atau lainnya." in owner.get(wrong.headers["location"]).text

    admin = token(factory, "admin")
    made = api(
        niaga,
        "POST",
        "/analytics/costs",
        admin,
        json={"spent_on": today, "kind": "staff", "amount": 50_000, "note": "Gaji admin chat"},
    )
    assert made.status_code == 201, made.text
    listed = api(niaga, "GET", f"/analytics/costs?first={today}&last={today}", admin).json()
    assert [(c["kind"], c["amount"]) for c in listed] == [("staff", 50_000), ("ads", 150_000)]
    summary = api(niaga, "GET", "/analytics/summary", admin).json()
    assert summary["roi"]["owner_costs"] == {"ads": 150_000, "staff": 50_000}
    assert api(niaga, "DELETE", f"/analytics/costs/{made.json()['id']}", admin).status_code == 204
    assert api(niaga, "DELETE", "/analytics/costs/999999", admin).status_code == 404
    bad = api(
        niaga,
        "POST",
        "/analytics/costs",
        admin,
        json={"spent_on": today, "kind": "ads", "amount": -5},
    )
    assert bad.status_code == 422


def test_the_report_downloads_as_a_spreadsheet_and_csv(niaga: LiveServer, factory: Any) -> None:
    week_of_messages(factory)
    make_user(factory, "analyst")
    reader = login(niaga.url, "analyst@toko.test")
    got = reader.get("/analytics/report.xlsx?period=week")
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith('attachment; filename="niaga-week-')
    book = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True)
    assert book.sheetnames == [
        "Ringkasan",
        "Gagal",
        "Nilai kepuasan",
        "Respons pertama",
        "Per agen",
        "Hasil dari WhatsApp",
    ]
    rows = list(book["Ringkasan"].iter_rows(values_only=True))
    opened = next(r for r in rows if r[0] == "Tingkat dibaca")
    assert opened[1] == 75.0 and opened[3] == "Baik" and opened[7] == "Dibaca ÷ terkirim × 100 %."
    assert list(book["Gagal"].iter_rows(values_only=True))[1] == ("131026", 1)
    text = reader.get("/analytics/report.csv?period=week").text
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "Angka"
    assert next(r for r in table if r[0] == "Tingkat dibaca")[1] == "75.0"


def test_the_report_prints_as_a_page_and_a_pdf_with_its_charts(
    niaga: LiveServer, factory: Any
) -> None:
    """The printable page carries the figures and SVG charts; the PDF of it, rendered to an
    image, has an A4 page with ink on it and the figures' words in its text."""
    import pypdfium2

    week_of_messages(factory)
    # one pleased customer and one unhappy one today
    customer_writes(factory, "Mantap kak, barangnya bagus banget 👍", "Kecewa, paketnya rusak 😡")
    make_user(factory, "analyst")
    reader = login(niaga.url, "analyst@toko.test")
    page = reader.get("/analytics/report.html?period=week")
    assert page.status_code == 200, page.text
    assert "<h1>Laporan mingguan</h1>" in page.text
    assert 'data-figure="open_rate"' in page.text and "75.0%" in page.text
    assert '<svg class="trend"' in page.text and "Pesan per hari" in page.text
    assert '<svg class="tone"' in page.text and "Nada pesan pelanggan per hari" in page.text
    assert ": +1 / −1</title>" in page.text
    got = reader.get("/analytics/report.pdf?period=week")
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].endswith('.pdf"')
    pdf = pypdfium2.PdfDocument(got.content)
    assert len(pdf) >= 1
    first = pdf[0]
    width, height = first.get_size()
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
    image = first.render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 2000, dark  # text and bars, not a blank page
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Laporan mingguan" in text and "Tingkat dibaca" in text and "75.0%" in text
    assert "131026" in text  # the failure by Meta's code


def test_raw_records_export_streamed_as_csv_and_as_a_spreadsheet(
    niaga: LiveServer, factory: Any
) -> None:
    week_of_messages(factory)
    make_user(factory, "analyst")
    reader = login(niaga.url, "analyst@toko.test")
    today = clock.now().date()
    span = (
        f"first={(today.replace(day=1)).isoformat()}&last={(today + timedelta(days=1)).isoformat()}"
    )
    got = reader.get(f"/analytics/export.csv?kind=messages&{span}")
    assert got.status_code == 200, got.text
    table = list(csv.DictReader(io.StringIO(got.text)))
    assert len(table) == 5 and {r["status"] for r in table} == {"read", "delivered", "failed"}
    assert next(r for r in table if r["status"] == "failed")["error_code"] == "131026"
    admin = token(factory, "admin")
    book = api(niaga, "GET", f"/analytics/exports/conversations?{span}&format=xlsx", admin)
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True)["conversations"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "contact_id", "status") and len(rows) == 2
    backwards = reader.get(f"/analytics/export.csv?kind=orders&first={today}&last=2020-01-01")
    assert backwards.status_code in (303, 422)
    assert api(niaga, "GET", f"/analytics/exports/secrets?{span}", admin).status_code == 422
    ancient = api(niaga, "GET", "/analytics/exports/orders?first=0001-01-01&last=0002-01-01", admin)
    assert ancient.status_code == 422 and ancient.json()["field"] == "first"
    far = api(niaga, "GET", "/analytics/summary?date=9999-12-31", admin)
    assert far.status_code == 422 and far.json()["code"] == "date_range"
