"""Keeping Meta's commerce catalog equal to Niaga's products through the Catalog Batch API, so
product and product-list messages work on a real number without uploading a feed by hand.

Each run compares every visible product's feed row (title, description, price, sale price,
stock, availability, image, link, brand) with what was last accepted (a hash per SKU), sends
only the differences (CREATE for new SKUs, UPDATE for changed ones, DELETE for products
deleted or hidden), then reads the batch's outcome: an item Meta refused keeps its error,
shown beside the product, and is sent again once the product changes. The Graph calls run
outside any transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.catalog import csv_io
from niaga.catalog.models import MetaCatalogItem, Product
from niaga.catalog.sharing import catalog_id
from niaga.core import clock
from niaga.core.db import transaction

log = logging.getLogger(__name__)
BATCH = 1000  # Meta takes 5,000 requests a batch; smaller batches fail less at once
STATUS_POLLS = 20
DELETE = "DELETE"


@dataclass
class Change:
    """One request for Meta: ``method`` CREATE, UPDATE or DELETE of ``sku``."""

    method: str
    sku: str
    data: dict[str, Any]
    digest: str


@dataclass
class SyncReport:
    """What a run sent and what Meta made of it."""

    sent: int = 0
    synced: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    pending: int = 0  # batches Meta had not finished (checked again next run)


def item_data(row: dict[str, str], product: Product) -> dict[str, Any]:
    """A feed row as a Batch API item (``inventory`` when stock is tracked)."""
    data: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
    if product.stock is not None:
        data["inventory"] = max(0, product.stock)
    return data


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def plan(session: Session, public_url: str) -> list[Change]:
    """The requests that make Meta's catalog equal to the products now."""
    base, brand = csv_io.feed_base(session, public_url)
    products = csv_io.visible_products(session)
    known = {i.sku: i for i in session.scalars(select(MetaCatalogItem))}
    changes = []
    for product in products:
        data = item_data(csv_io.feed_row(product, base, brand), product)
        digest = _digest(data)
        item = known.get(product.sku)
        if item is not None and digest in (item.synced_hash, item.tried_hash):
            continue  # Meta holds it, or refused exactly this (sent again once it changes)
        exists = item is not None and item.synced_hash not in (None, DELETE)
        changes.append(Change("UPDATE" if exists else "CREATE", product.sku, data, digest))
    shown = {p.sku for p in products}
    for sku, item in known.items():
        if sku not in shown and item.synced_hash not in (None, DELETE):
            changes.append(Change("DELETE", sku, {"id": sku}, DELETE))
    return changes


async def sync(
    factory: sessionmaker[Session], channel: Any, public_url: str, sandbox: bool
) -> SyncReport:
    """One run: send the differences, wait for Meta's verdict, record it per SKU."""

    def load() -> tuple[str, list[Change]]:
        with factory() as session:
            return catalog_id(session, sandbox), plan(session, public_url)

    catalog, changes = await asyncio.to_thread(load)
    report = SyncReport()
    for start in range(0, len(changes), BATCH):
        chunk = changes[start : start + BATCH]
        requests = [{"method": c.method, "data": c.data} for c in chunk]
        handles = await channel.catalog_items_batch(catalog, requests)
        report.sent += len(chunk)
        errors: dict[str, str] = {}
        finished = True
        for handle in handles:
            outcome = await _wait(channel, catalog, handle)
            if outcome.get("status") != "finished":
                finished = False
                continue
            for error in outcome.get("errors") or []:
                sku = str(error.get("id") or "")
                if not sku and isinstance(error.get("line"), int) and error["line"] < len(chunk):
                    sku = chunk[error["line"]].sku
                errors[sku] = str(error.get("message") or "refused")[:1000]
        if not finished:
            report.pending += 1
            continue  # not recorded: the next run plans these again
        await asyncio.to_thread(_record, factory, chunk, errors)
        report.refused.update(errors)
        report.synced += len(chunk) - len(errors)
    if report.sent:
        log.info(
            "catalog sync: %d sent, %d accepted, %d refused",
            report.sent,
            report.synced,
            len(report.refused),
        )
    return report


async def _wait(channel: Any, catalog: str, handle: str) -> dict[str, Any]:
    delay = 0.2
    outcome: dict[str, Any] = {}
    for _ in range(STATUS_POLLS):
        outcome = await channel.catalog_batch_status(catalog, handle)
        if outcome.get("status") in ("finished", "error"):
            return outcome
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
    return outcome


def _record(factory: sessionmaker[Session], chunk: list[Change], errors: dict[str, str]) -> None:
    now = clock.now()
    with transaction(factory) as session:
        known = {
            i.sku: i
            for i in session.scalars(
                select(MetaCatalogItem).where(MetaCatalogItem.sku.in_([c.sku for c in chunk]))
            )
        }
        for change in chunk:
            item = known.get(change.sku)
            if item is None:
                item = MetaCatalogItem(sku=change.sku)
                session.add(item)
            item.tried_hash, item.tried_at = change.digest, now
            if change.sku in errors:
                item.state, item.error = "error", errors[change.sku]
                continue
            item.synced_hash, item.synced_at, item.error = change.digest, now, None
            item.state = "deleted" if change.method == DELETE else "synced"


def states(session: Session) -> dict[str, MetaCatalogItem]:
    """Each SKU's sync state (for the catalog page and the API)."""
    return {i.sku: i for i in session.scalars(select(MetaCatalogItem))}
