"""The templates Niaga itself needs, in one place: listed with their review state, submitted
with one click (what Meta already holds is learnt first, not submitted twice), and every
feature that needs one not yet approved says so where it is set up."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from niaga.doctor import service
from niaga.templates.models import MessageTemplate
from tests.conftest import LiveServer, wait_for
from tests.web.web_helpers import csrf, login, make_user

ORDER_TEMPLATES = (
    "pesanan_diterima",
    "pesanan_dikonfirmasi",
    "pembayaran_diterima",
    "pesanan_dikirim",
    "pesanan_selesai",
    "poin_bertambah",  # loyalty's points message (niaga.loyalty.announce)
    "hadiah_baru",  # a new reward, announced (niaga.loyalty.announce)
)


def row_status(page: str, name: str) -> str:
    found = re.search(rf'<tr data-template="{name}" data-status="([A-Z_]+)"', page)
    assert found, name
    return found.group(1)


def test_one_click_submits_what_niaga_needs_and_features_stop_warning(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/settings/templates").text
    for name in (*ORDER_TEMPLATES, "minta_rating", "laporan_kinerja_niaga"):
        assert row_status(page, name) == "NOT_SUBMITTED"
    assert 'id="submit-own"' in page
    assert 'id="templates-waiting"' in owner.get("/orders").text
    assert 'id="csat-template-waiting"' in owner.get("/settings/rules").text
    assert "pesanan_diterima" in owner.get("/settings/shop").text

    r = owner.post("/settings/templates/own/submit", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    flash = r.headers["location"]
    assert "pesanan_diterima" in flash and "minta_rating" not in flash  # Meta had it already

    def approved() -> bool:
        with factory() as s:
            rows = s.scalars(
                select(MessageTemplate).where(MessageTemplate.name.in_(ORDER_TEMPLATES))
            ).all()
            return len(rows) == len(ORDER_TEMPLATES) and all(t.status == "APPROVED" for t in rows)

    wait_for(approved, timeout=20)
    with factory() as s:
        kept = s.scalars(
            select(MessageTemplate).where(MessageTemplate.name == "minta_rating")
        ).all()
    assert [t.status for t in kept] == ["APPROVED"]
    page = owner.get("/settings/templates").text
    for name in (*ORDER_TEMPLATES, "minta_rating"):
        assert row_status(page, name) == "APPROVED"
    # The report by WhatsApp is only submitted when report numbers are set.
    assert row_status(page, "laporan_kinerja_niaga") == "NOT_SUBMITTED"
    assert 'id="templates-waiting"' not in owner.get("/orders").text
    assert 'id="csat-template-waiting"' not in owner.get("/settings/rules").text
    again = owner.post("/settings/templates/own/submit", data={"csrf_token": csrf(owner)})
    assert "Meta" in again.headers["location"] or "sudah" in again.headers["location"]

    found = {f.key: f for f in asyncio.run(service.run(niaga.settings, niaga.app.state.engine))}
    assert found["own_templates"].params["names"] == "laporan_kinerja_niaga"
    assert login(niaga.url, "owner@toko.test").get("/settings/templates").status_code == 200
    agent = make_user(factory, "agent")
    assert agent
    client = login(niaga.url, "agent@toko.test")
    refused = client.post("/settings/templates/own/submit", data={"csrf_token": csrf(client)})
    assert refused.status_code == 403
