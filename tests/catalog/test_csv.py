"""CSV import (dry run, every bad row reported, all or nothing) and Meta feed export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from niaga.catalog import csv_io
from niaga.catalog import service as catalog
from niaga.catalog.models import Product
from niaga.catalog.schemas import CatalogSettingsIn, ProductCreate
from niaga.core.db import transaction
from niaga.core.errors import DomainError

GOOD = (
    "sku,name,price,sale_price,stock,description,collections,visible\n"
    "GMS-01,Gamis Navy,150.000,,10,Gamis katun,Baju Muslim|Promo Lebaran,ya\n"
    'KMJ-02,"Kemeja Batik, Pria",Rp200.000,175000,,"Batik tulis ""asli""",Pakaian Pria,\n'
    "KOPI-03,Kopi Gayo,85000 IDR,,5,,Minuman,no\n"
)
BAD = (
    "sku,name,price,sale_price,stock\n"
    "OK-01,Produk Bagus,10000,,1\n"  # row 2: fine
    ",Tanpa SKU,10000,,\n"  # row 3: no SKU
    "BAD-04,Harga Aneh,sepuluh ribu,,\n"  # row 4: price
    "BAD-05,Diskon Lebih Mahal,10000,20000,\n"  # row 5: sale price too high
    "BAD-06,Stok Minus,10000,,-3\n"  # row 6: stock
    "OK-01,Duplikat,10000,,\n"  # row 7: duplicate SKU
    "BAD 08,Spasi di SKU,10000,,\n"  # row 8: SKU characters
    "BAD-09,Dolar,12.50 USD,,\n"  # row 9: currency
)


def count(factory: Any) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Product)) or 0


def test_parse_rupiah() -> None:
    for text in (
        "150000",
        "150.000",
        "Rp150.000",
        "Rp 150.000",
        "150000 IDR",
        "150,000",
        "150000.00",
    ):
        assert csv_io.parse_rupiah(text) == 150_000, text
    for text in ("12.50 USD", "abc", "1.5", "15.0000"):
        with pytest.raises(ValueError):
            csv_io.parse_rupiah(text)


def test_dry_run_then_import(factory: Any) -> None:
    with transaction(factory) as s:
        report = csv_io.do_import_csv(s, GOOD.encode(), dry_run=True)
    assert report.ok and report.created == 3 and report.updated == 0
    assert count(factory) == 0  # a dry run imports nothing
    with transaction(factory) as s:
        report = csv_io.do_import_csv(s, GOOD.encode(), dry_run=False)
    assert report.ok and report.created == 3
    with factory() as s:
        gamis = catalog.get_product_by_sku(s, "GMS-01")
        kemeja = catalog.get_product_by_sku(s, "KMJ-02")
        kopi = catalog.get_product_by_sku(s, "KOPI-03")
        assert gamis and kemeja and kopi
        assert (gamis.price, gamis.stock, gamis.visible) == (150_000, 10, True)
        assert sorted(c.name for c in gamis.collections) == ["Baju Muslim", "Promo Lebaran"]
        assert (kemeja.name, kemeja.price, kemeja.sale_price) == (
            "Kemeja Batik, Pria",
            200_000,
            175_000,
        )
        assert kemeja.description == 'Batik tulis "asli"'
        assert kopi.visible is False
    # Importing again updates by SKU.
    with transaction(factory) as s:
        report = csv_io.do_import_csv(s, GOOD.replace("150.000", "160.000").encode(), dry_run=False)
    assert (report.created, report.updated) == (0, 3)
    with factory() as s:
        assert catalog.get_product_by_sku(s, "GMS-01").price == 160_000  # type: ignore[union-attr]


def test_bad_rows_are_all_reported_and_nothing_imported(factory: Any) -> None:
    for dry_run in (True, False):
        with transaction(factory) as s:
            report = csv_io.do_import_csv(s, BAD.encode(), dry_run=dry_run)
        assert not report.ok
        assert report.created == report.updated == 0
        by_row = {(e.row, e.field) for e in report.errors}
        assert {r for r, _f in by_row} == {3, 4, 5, 6, 7, 8, 9}, report.errors
        assert (4, "price") in by_row and (6, "stock") in by_row and (7, "sku") in by_row
        assert (9, "price") in by_row and (5, "sale_price") in by_row
        assert count(factory) == 0  # not even the good row 2


def test_header_problems(factory: Any) -> None:
    with transaction(factory) as s, pytest.raises(DomainError) as err:
        csv_io.do_import_csv(s, b"nama_produk,harga\nx,1\n", dry_run=True)
    assert err.value.code == "csv_columns"
    with transaction(factory) as s, pytest.raises(DomainError) as err:
        csv_io.do_import_csv(s, b"\xff\xfe\x00", dry_run=True)
    assert err.value.code == "csv_encoding"
    # Meta feed column names and semicolons are accepted.
    with transaction(factory) as s:
        report = csv_io.do_import_csv(
            s, b"id;title;price;availability\nA-1;Kaos;50000 IDR;in stock\n", dry_run=True
        )
    assert report.ok and report.created == 1


def test_feed_export_columns(factory: Any) -> None:
    with transaction(factory) as s:
        catalog.do_update_settings(s, CatalogSettingsIn(brand="Toko Sari"))
        catalog.do_create_product(
            s,
            ProductCreate(
                sku="GMS-01",
                name="Gamis, Navy",
                price=150_000,
                sale_price=120_000,
                stock=0,
                description='Kain "premium"',
            ),
        )
        catalog.do_create_product(
            s, ProductCreate(sku="HID-1", name="Rahasia", price=1, visible=False)
        )
    with factory() as s:
        text = csv_io.export_feed_csv(s, "https://toko.example")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == (
        "id,title,description,availability,condition,price,link,image_link,brand,sale_price"
    )
    assert len(rows) == 1  # hidden products are not exported
    row = rows[0]
    assert row["id"] == "GMS-01"
    assert row["title"] == "Gamis, Navy"
    assert row["description"] == 'Kain "premium"'
    assert row["availability"] == "out of stock"  # tracked stock ran out
    assert row["condition"] == "new"
    assert row["price"] == "150000 IDR"
    assert row["sale_price"] == "120000 IDR"
    assert row["link"] == "https://toko.example/katalog/produk/GMS-01"
    assert row["brand"] == "Toko Sari"
