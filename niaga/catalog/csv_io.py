"""CSV import (dry run, every bad row reported, nothing imported on error) and Meta feed export.

Import columns (header row, any order, case-insensitive; Meta feed names accepted too):
``sku`` (or ``id``), ``name`` (or ``title``), ``price``, and optionally ``description``,
``sale_price``, ``stock``, ``availability``, ``condition``, ``brand``, ``link``, ``visible``,
``collections`` (names separated by ``|`` or ``;``). Prices are rupiah: ``150000``,
``150.000``, ``Rp150.000`` or ``150000 IDR``. A SKU that exists is updated, else created.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.catalog import search
from niaga.catalog.models import Product
from niaga.catalog.schemas import ProductCreate
from niaga.catalog.service import (
    check_prices,
    collections_by_name,
    get_settings,
)
from niaga.core.csv_safe import safe_writer
from niaga.core.errors import DomainError

MAX_ROWS = 100_000
ALIASES = {
    "id": "sku",
    "retailer_id": "sku",
    "title": "name",
    "nama": "name",
    "harga": "price",
    "harga_diskon": "sale_price",
    "deskripsi": "description",
    "stok": "stock",
    "koleksi": "collections",
    "quantity_to_sell_on_facebook": "stock",
}
KNOWN = {
    "sku",
    "name",
    "price",
    "description",
    "sale_price",
    "stock",
    "availability",
    "condition",
    "brand",
    "link",
    "visible",
    "collections",
    "image_link",
}
TRUE = {"1", "true", "yes", "ya", "y"}
FALSE = {"0", "false", "no", "tidak", "n"}
FEED_COLUMNS = (
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "image_link",
    "brand",
    "sale_price",
)


@dataclass
class RowError:
    """One problem in one row (row 2 is the first row after the header)."""

    row: int
    field: str
    message: str
    sku: str | None = None


@dataclass
class ImportReport:
    """What an import found and did."""

    dry_run: bool
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_rupiah(value: str) -> int:
    """``Rp150.000``, ``150.000``, ``150000 IDR``, ``150000.00`` → 150000."""
    text = value.strip()
    currency = re.search(r"\b([A-Za-z]{3})\s*$", text)
    if currency and currency.group(1).upper() != "IDR":
        raise ValueError(f"only IDR prices are supported, not {currency.group(1).upper()}")
    text = re.sub(r"(?i)^rp\.?\s*|\s*idr\s*$", "", text).strip()
    text = re.sub(r"[.,]00$", "", text)
    if not re.fullmatch(r"\d{1,3}([.,]\d{3})+|\d+", text):
        raise ValueError(f"not a rupiah amount: {value!r}")
    return int(re.sub(r"[.,]", "", text))


def _read_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("csv_encoding", "The file is not UTF-8 text.") from None
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="": quoted fields may hold line breaks, and a bare CR ends a line like LF.
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        return _parse_rows(reader)
    except csv.Error as exc:
        raise DomainError(
            "csv_unreadable", "The file is not readable CSV: {reason}", reason=str(exc)
        ) from None


def _parse_rows(reader: csv.DictReader[str]) -> tuple[list[str], list[dict[str, str]]]:
    if not reader.fieldnames:
        raise DomainError("csv_empty", "The file has no header row.")
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames]
    reader.fieldnames = header
    missing = [c for c in ("sku", "name", "price") if c not in header]
    if missing:
        raise DomainError(
            "csv_columns", "Required columns are missing: {columns}", columns=", ".join(missing)
        )
    rows = list(reader)
    if len(rows) > MAX_ROWS:
        raise DomainError("csv_too_long", "At most {n} rows per file.", n=MAX_ROWS)
    return header, rows


def _row_values(raw: dict[str, str]) -> dict[str, Any]:
    """Turn one CSV row into ProductCreate input; raises ValueError(field, message)."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key is None or key not in KNOWN or key == "image_link":
            continue
        value = (value or "").strip()
        if key in ("price", "sale_price"):
            if value:
                try:
                    values[key] = parse_rupiah(value)
                except ValueError as exc:
                    raise _FieldError(key, str(exc)) from None
            elif key == "price":
                raise _FieldError(key, "price is required")
        elif key == "stock":
            if value:
                if not re.fullmatch(r"\d+", value):
                    raise _FieldError(key, f"stock must be a whole number, not {value!r}")
                values[key] = int(value)
        elif key == "visible":
            if value:
                if value.lower() not in TRUE | FALSE:
                    raise _FieldError(key, f"visible must be yes or no, not {value!r}")
                values[key] = value.lower() in TRUE
        elif key == "collections":
            values[key] = [c.strip() for c in re.split(r"[|;]", value) if c.strip()]
        elif value or key in ("sku", "name"):
            values[key] = value
    return values


class _FieldError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def do_import_csv(session: Session, data: bytes, *, dry_run: bool) -> ImportReport:
    """Check every row; import all of them only when none is bad and ``dry_run`` is false."""
    _header, rows = _read_rows(data)
    report = ImportReport(dry_run=dry_run, total_rows=len(rows))
    parsed: list[tuple[int, ProductCreate]] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows, start=2):
        sku = (raw.get("sku") or "").strip() or None
        try:
            values = _row_values(raw)
            item = ProductCreate.model_validate(values)
            check_prices(item.price, item.sale_price)
        except _FieldError as exc:
            report.errors.append(RowError(index, exc.field, str(exc), sku))
            continue
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                name = ".".join(str(p) for p in err["loc"]) or "row"
                report.errors.append(RowError(index, name, err["msg"], sku))
            continue
        except DomainError as exc:
            report.errors.append(RowError(index, "sale_price", exc.message("en"), sku))
            continue
        if item.sku in seen:
            report.errors.append(
                RowError(index, "sku", f"duplicate SKU, first seen in row {seen[item.sku]}", sku)
            )
            continue
        seen[item.sku] = index
        parsed.append((index, item))
    existing = _existing(session, [item.sku for _, item in parsed])
    report.updated = sum(1 for _, item in parsed if item.sku in existing)
    report.created = len(parsed) - report.updated
    if dry_run or report.errors:
        if report.errors:
            report.created = report.updated = 0
        return report
    touched: list[Product] = []
    for _index, item in parsed:
        product = existing.get(item.sku)
        values = item.model_dump(exclude={"collections"})
        if product is None:
            product = Product(**values)
            session.add(product)
        else:
            for key, value in values.items():
                setattr(product, key, value)
        product.collections = collections_by_name(session, item.collections, create=True)
        touched.append(product)
    session.flush()
    search.index_products(session, touched)
    return report


def _existing(session: Session, skus: list[str]) -> dict[str, Product]:
    out: dict[str, Product] = {}
    for start in range(0, len(skus), 500):
        chunk = skus[start : start + 500]
        for product in session.scalars(select(Product).where(Product.sku.in_(chunk))):
            out[product.sku] = product
    return out


def feed_row(product: Product, base: str, brand_default: str) -> dict[str, str]:
    """One product as a row of Meta's catalog feed (``base``: the public URL)."""
    image = product.main_image
    return {
        "id": product.sku,
        "title": product.name[:150],
        "description": (product.description or product.name)[:9999],
        "availability": product.effective_availability,
        "condition": product.condition,
        "price": f"{product.price} IDR",
        "link": product.link or f"{base}/katalog/produk/{product.sku}",
        "image_link": f"{base}/katalog/gambar/{image.id}" if image else "",
        "brand": product.brand or brand_default,
        "sale_price": f"{product.sale_price} IDR" if product.sale_price is not None else "",
    }


def visible_products(session: Session) -> list[Product]:
    """The products the catalog shows, in the order they were made."""
    return list(
        session.scalars(select(Product).where(Product.visible.is_(True)).order_by(Product.id))
    )


def feed_base(session: Session, public_url: str) -> tuple[str, str]:
    """The public URL without its last slash, and the brand for products naming none."""
    settings = get_settings(session)
    return public_url.rstrip("/"), settings.brand or settings.shop_name or ""


def feed_rows(session: Session, public_url: str) -> list[dict[str, str]]:
    """Every visible product as a row of Meta's catalog feed."""
    base, brand = feed_base(session, public_url)
    return [feed_row(p, base, brand) for p in visible_products(session)]


def export_feed_csv(session: Session, public_url: str) -> str:
    """Meta's catalog feed as CSV text (header first, quoted where needed, no formulas)."""
    out = io.StringIO()
    writer = safe_writer(out, FEED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(feed_rows(session, public_url))
    return out.getvalue()
