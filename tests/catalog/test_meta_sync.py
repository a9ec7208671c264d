"""Niaga's products kept in Meta's commerce catalog (the sandbox plays the Catalog Batch API):
only differences are sent, Meta's refusals (a missing or broken image, a zero price) are kept
per product and shown, and a fixed product goes again."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from niaga.catalog import meta_sync
from niaga.channels.whatsapp.channel import make_channel
from tests.catalog.helpers import add_product, api, token
from tests.conftest import LiveServer
from tests.sandbox_client import CONTROL
from tests.web.web_helpers import csrf, login, make_user


def run(niaga: LiveServer, factory: Any) -> meta_sync.SyncReport:
    async def go() -> meta_sync.SyncReport:
        async with make_channel(niaga.settings) as channel:
            return await meta_sync.sync(factory, channel, niaga.settings.public_url, True)

    return asyncio.run(go())


def meta_items(niaga: LiveServer) -> dict[str, Any]:
    return httpx.get(f"{niaga.url}/sandbox/_control/catalog", headers=CONTROL).json()


def photo(niaga: LiveServer, admin: dict[str, str], product_id: int) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (800, 800), "#0f766e").save(out, "JPEG")
    r = httpx.post(
        f"{niaga.url}/api/v1/catalog/products/{product_id}/images",
        headers=admin,
        files={"file": ("gamis.jpg", out.getvalue(), "image/jpeg")},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_products_reach_metas_catalog_and_refusals_are_kept(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    gamis = add_product(niaga, admin, sku="GMS-01", name="Gamis Navy", price=150_000, stock=5)
    kemeja = add_product(niaga, admin, sku="KMJ-02", name="Kemeja Batik", price=200_000)
    hijab = add_product(niaga, admin, sku="HJB-03", name="Hijab Segi Empat", price=0)
    rusak = add_product(niaga, admin, sku="TAS-04", name="Tas Anyam", price=90_000)
    gamis_photo = photo(niaga, admin, gamis["id"])
    photo(niaga, admin, hijab["id"])
    broken = photo(niaga, admin, rusak["id"])
    for file in Path(niaga.settings.data_dir).glob(f"catalog/images/{rusak['id']}/*"):
        file.unlink()  # the photo's file is gone: Meta cannot download it
    assert broken

    report = run(niaga, factory)
    assert report.sent == 4 and report.synced == 1
    assert "image_link" in report.refused["KMJ-02"]
    assert "greater than 0" in report.refused["HJB-03"]
    assert "Image download failed" in report.refused["TAS-04"]
    items = meta_items(niaga)
    assert set(items) == {"GMS-01"}
    assert items["GMS-01"]["price"] == "150000 IDR" and items["GMS-01"]["inventory"] == 5
    assert items["GMS-01"]["availability"] == "in stock"
    assert items["GMS-01"]["image_link"].endswith(f"/katalog/gambar/{gamis_photo['id']}")

    # Nothing changed: nothing is sent (a refused item waits for its product to change).
    assert run(niaga, factory).sent == 0

    # A price and stock change goes as one UPDATE; a fixed product goes again.
    r = api(
        niaga,
        "PATCH",
        f"/catalog/products/{gamis['id']}",
        admin,
        json={"price": 135_000, "stock": 0},
    )
    assert r.status_code == 200, r.text
    photo(niaga, admin, kemeja["id"])
    report = run(niaga, factory)
    assert report.sent == 2 and report.synced == 2 and not report.refused
    items = meta_items(niaga)
    assert (
        items["GMS-01"]["price"] == "135000 IDR"
        and items["GMS-01"]["availability"] == "out of stock"
    )
    assert "KMJ-02" in items

    # The shop page shows each product's state and Meta's reason.
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/catalog").text
    assert 'data-sku="HJB-03" data-state="error"' in page and "greater than 0" in page
    assert 'data-sku="GMS-01" data-state="synced"' in page

    # Deleted here, deleted at Meta — from the page's button.
    assert api(niaga, "DELETE", f"/catalog/products/{gamis['id']}", admin).status_code == 204
    r = owner.post("/catalog/meta-sync", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    assert "GMS-01" not in meta_items(niaga)
    with factory() as s:
        assert meta_sync.states(s)["GMS-01"].state == "deleted"
