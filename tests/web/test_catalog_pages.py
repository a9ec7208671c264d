"""The catalog and orders pages: create, import (dry run first), export, status changes."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from sqlalchemy import select

from niaga.catalog.models import Product
from niaga.orders.models import Order
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

PHONE = "6281234567833"


def test_owner_manages_the_catalog(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    client = login(niaga.url, "owner@toko.test")
    token = csrf(client)
    r = client.post(
        "/catalog/products",
        data={
            "sku": "GMS-NAVY-L",
            "name": "Gamis Navy L",
            "price": "Rp185.000",
            "sale_price": "159000",
            "stock": "12",
            "collections": "Baju Muslim, Promo Lebaran",
            "visible": "on",
            "csrf_token": token,
        },
    )
    assert r.status_code == 303 and "flash" not in r.headers["location"]
    page = client.get("/catalog").text
    assert "Gamis Navy L" in page and "Rp159.000" in page and "Promo Lebaran" in page
    duplicate = client.post(
        "/catalog/products",
        data={"sku": "GMS-NAVY-L", "name": "Lagi", "price": "1000", "csrf_token": token},
    )
    assert "flash=" in duplicate.headers["location"]

    bad = "sku,name,price\nKMJ-1,Kemeja Batik,Rp120.000\nKMJ-2,,abc\n"
    report = client.post(
        "/catalog/import",
        files={"file": ("produk.csv", bad.encode(), "text/csv")},
        data={"dry_run": "on", "csrf_token": token},
        headers={"X-CSRF-Token": token},
    )
    assert report.status_code == 200
    assert "Tidak ada yang diimpor" in report.text and re.search(r"baris 3", report.text)
    good = "sku,name,price\nKMJ-1,Kemeja Batik,Rp120.000\nKMJ-2,Kemeja Polos,95000\n"
    client.post(
        "/catalog/import",
        files={"file": ("produk.csv", good.encode(), "text/csv")},
        data={"csrf_token": token},
        headers={"X-CSRF-Token": token},
    )
    with factory() as s:
        assert set(s.scalars(select(Product.sku))) == {"GMS-NAVY-L", "KMJ-1", "KMJ-2"}
    feed = client.get("/catalog/export.csv")
    rows = list(csv.DictReader(io.StringIO(feed.text)))
    assert {"id", "title", "description", "availability", "condition", "price", "link"} <= set(
        rows[0]
    )
    assert {r["id"] for r in rows} == {"GMS-NAVY-L", "KMJ-1", "KMJ-2"}


def test_agent_moves_an_order_and_the_customer_is_told(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Dewi Lestari")
    sb.send(
        PHONE,
        type="order",
        items=[{"product_retailer_id": "GMS-NAVY-L", "quantity": 2, "item_price": 185000}],
    )

    def order() -> Order | None:
        with factory() as s:
            return s.scalars(select(Order)).first()

    found = wait_for(order)
    client = login(niaga.url, "agent@toko.test")
    page = client.get("/orders").text
    assert f"#{found.number}" in page and "Rp370.000" in page
    assert client.get("/catalog").status_code == 403  # agents do not manage the catalog
    r = client.post(
        f"/orders/{found.id}/status",
        data={
            "status": "dikirim",
            "courier": "JNE",
            "tracking_number": "JNE0012345678",
            "notify": "on",
            "csrf_token": csrf(client),
        },
    )
    assert r.status_code == 303 and "flash" not in r.headers["location"], r.headers
    told = wait_for(lambda: [m for m in sb.messages(to=PHONE) if "JNE0012345678" in str(m)])
    assert told
    with factory() as s:
        assert s.get(Order, found.id).status == "dikirim"
