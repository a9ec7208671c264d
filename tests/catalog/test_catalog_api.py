"""The catalog through ``/api/v1`` and the public pages, on the live server."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image

from tests.catalog.helpers import add_product, api, open_conversation, token
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl


def png(width: int = 900, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 60, 255)).save(out, "PNG")
    return out.getvalue()


def test_roles_and_validation(niaga: LiveServer, factory: Any) -> None:
    admin, agent, analyst = (
        token(factory, "admin"),
        token(factory, "agent"),
        token(factory, "analyst"),
    )
    body = {"sku": "GMS-01", "name": "Gamis Navy", "price": 150000, "collections": ["Baju Muslim"]}
    assert api(niaga, "POST", "/catalog/products", agent, json=body).status_code == 403
    product = add_product(niaga, admin, **body)
    assert product["price_display"] == "Rp150.000" and product["collections"] == ["Baju Muslim"]
    r = api(niaga, "POST", "/catalog/products", admin, json=body)
    assert r.status_code == 409 and r.json()["code"] == "sku_taken"
    assert "GMS-01" in r.json()["detail"] and "sudah ada" in r.json()["detail"]
    r = api(
        niaga, "PATCH", f"/catalog/products/{product['id']}", admin, json={"sale_price": 200000}
    )
    assert r.status_code == 409 and r.json()["code"] == "sale_price_not_lower"
    r = api(
        niaga, "PATCH", f"/catalog/products/{product['id']}", admin, json={"sale_price": 120000}
    )
    assert r.json()["effective_price"] == 120000
    assert (
        api(niaga, "POST", "/catalog/products", admin, json={**body, "sku": "a b"}).status_code
        == 422
    )
    assert (
        api(niaga, "GET", "/catalog/products", analyst, params={"q": "gamis"}).json()["items"][0][
            "sku"
        ]
        == "GMS-01"
    )
    listed = api(niaga, "GET", "/catalog/products", analyst).json()
    assert listed["total"] == 1
    collections = api(niaga, "GET", "/catalog/collections", analyst).json()
    assert [c["slug"] for c in collections] == ["baju-muslim"]
    link = api(niaga, "GET", f"/catalog/products/{product['id']}/order-link", agent).json()
    assert link["url"].startswith("https://wa.me/6281100000000?text=")
    assert link["text"] == "Halo, saya mau pesan Gamis Navy (SKU: GMS-01)"


def test_images_are_stored_with_thumbnails(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    product = add_product(niaga, admin, sku="TAS-1", name="Tas Rotan", price=90000)
    files = {"file": ("tas.png", png(), "image/png")}
    r = api(niaga, "POST", f"/catalog/products/{product['id']}/images", admin, files=files)
    assert r.status_code == 201, r.text
    image = r.json()
    assert (image["width"], image["height"]) == (900, 600)
    full = httpx.get(niaga.url + image["url"])
    thumb = httpx.get(niaga.url + image["thumb_url"])
    assert full.status_code == thumb.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (400, 267)
    stored = list((niaga.settings.data_dir / "catalog" / "images" / str(product["id"])).iterdir())
    assert len(stored) == 2
    bad = {"file": ("x.png", b"not an image", "image/png")}
    r = api(niaga, "POST", f"/catalog/products/{product['id']}/images", admin, files=bad)
    assert r.status_code == 422 and r.json()["code"] == "image_unreadable"
    assert len(list(stored[0].parent.iterdir())) == 2  # nothing left behind
    r = api(niaga, "DELETE", f"/catalog/products/{product['id']}/images/{image['id']}", admin)
    assert r.status_code == 204
    assert httpx.get(niaga.url + image["url"]).status_code == 404
    wait_for(lambda: not list(stored[0].parent.iterdir()))


def test_csv_import_and_feed_export_over_http(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    good = b"sku,name,price,collections\nA-1,Kaos Polos,50000,Kaos\nA-2,Kaos Motif,60.000,Kaos\n"
    bad = b"sku,name,price\nB-1,Baik,1000\nB-2,,1000\nB-3,Harga,gratis\n"
    r = api(
        niaga,
        "POST",
        "/catalog/import",
        admin,
        files={"file": ("a.csv", bad, "text/csv")},
        params={"dry_run": "false"},
    )
    assert r.status_code == 422
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "name"), (4, "price")]
    r = api(niaga, "POST", "/catalog/import", admin, files={"file": ("a.csv", good, "text/csv")})
    assert r.status_code == 200 and r.json()["dry_run"] and r.json()["created"] == 2
    assert api(niaga, "GET", "/catalog/products", admin).json()["total"] == 0
    r = api(
        niaga,
        "POST",
        "/catalog/import",
        admin,
        files={"file": ("a.csv", good, "text/csv")},
        params={"dry_run": "false"},
    )
    assert r.status_code == 200 and r.json()["created"] == 2
    feed = api(niaga, "GET", "/catalog/export/meta-feed.csv", token(factory, "analyst"))
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/csv")
    lines = feed.text.splitlines()
    assert lines[0].startswith(
        "id,title,description,availability,condition,price,link,image_link,brand"
    )
    assert len(lines) == 3 and "60000 IDR" in feed.text


def test_share_product_list_within_meta_limits(niaga: LiveServer, factory: Any) -> None:
    admin, agent = token(factory, "admin"), token(factory, "agent")
    ids = [
        add_product(
            niaga,
            admin,
            sku=f"P-{i:02d}",
            name=f"Produk {i}",
            price=1000 + i,
            collections=[f"Koleksi {i % 3}"],
        )["id"]
        for i in range(31)
    ]
    conversation_id = open_conversation(niaga, factory, "6281234500011")
    path = f"/conversations/{conversation_id}/share/product-list"
    r = api(niaga, "POST", path, agent, json={"product_ids": ids})
    assert r.status_code == 422 and r.json()["code"] == "too_many_products"
    retry = {**agent, "Idempotency-Key": "list-1"}
    r = api(niaga, "POST", path, retry, json={"product_ids": ids[:30], "header": "Promo"})
    assert r.status_code == 202, r.text
    again = api(niaga, "POST", path, retry, json={"product_ids": ids[:30], "header": "Promo"})
    assert again.json()["id"] == r.json()["id"]  # queued once
    sent = wait_for(lambda: SandboxControl(niaga.url).messages(type="interactive"))
    action = sent[0]["body"]["interactive"]["action"]
    assert sent[0]["body"]["interactive"]["type"] == "product_list"
    assert [s["title"] for s in action["sections"]] == ["Koleksi 0", "Koleksi 1", "Koleksi 2"]
    assert sum(len(s["product_items"]) for s in action["sections"]) == 30
    r = api(
        niaga,
        "POST",
        f"/conversations/{conversation_id}/share/product",
        agent,
        json={"product_id": ids[0], "body": "Ini kak"},
    )
    assert r.status_code == 202
    r = api(
        niaga,
        "POST",
        f"/conversations/{conversation_id}/share/catalog",
        agent,
        json={"thumbnail_product_id": ids[1]},
    )
    assert r.status_code == 202
    kinds = wait_for(
        lambda: (
            [
                m["body"]["interactive"]["type"]
                for m in SandboxControl(niaga.url).messages(type="interactive")
            ]
            if len(SandboxControl(niaga.url).messages(type="interactive")) == 3
            else None
        )
    )
    assert kinds == ["product_list", "product", "catalog_message"]
    sections = [{"title": f"S{i}", "product_ids": [ids[i]]} for i in range(11)]
    r = api(niaga, "POST", path, agent, json={"sections": sections})
    assert r.status_code == 422 and r.json()["code"] == "too_many_sections"


def test_public_catalog_page(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    api(
        niaga,
        "PUT",
        "/catalog/settings",
        admin,
        json={"shop_name": "Toko Sari", "tagline": "Busana muslim"},
    )
    add_product(
        niaga,
        admin,
        sku="GMS-01",
        name="Gamis Navy",
        price=150000,
        sale_price=129000,
        collections=["Baju Muslim"],
    )
    add_product(
        niaga,
        admin,
        sku="KMJ-02",
        name="Kemeja Batik",
        price=200000,
        stock=0,
        collections=["Pakaian Pria"],
    )
    add_product(niaga, admin, sku="HID-03", name="Rahasia", price=1, visible=False)
    page = httpx.get(f"{niaga.url}/katalog")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert "Toko Sari" in html and "Gamis Navy" in html and "Rahasia" not in html
    assert "Rp129.000" in html and "Rp150.000" in html and "Stok habis" in html
    links = re.findall(r'href="(https://wa\.me/[^"]+)"', html)
    texts = {parse_qs(urlsplit(link.replace("&amp;", "&")).query)["text"][0] for link in links}
    assert "Halo, saya mau pesan Gamis Navy (SKU: GMS-01)" in texts
    assert all(urlsplit(link).path == "/6281100000000" for link in links)
    found = httpx.get(f"{niaga.url}/katalog", params={"q": "kemejanya"}).text
    assert "Kemeja Batik" in found and "Gamis Navy" not in found
    by_collection = httpx.get(f"{niaga.url}/katalog", params={"koleksi": "baju-muslim"}).text
    assert "Gamis Navy" in by_collection and "Kemeja Batik" not in by_collection
    assert httpx.get(f"{niaga.url}/katalog/produk/GMS-01").status_code == 200
    assert httpx.get(f"{niaga.url}/katalog/produk/HID-03").status_code == 404
    english = httpx.get(f"{niaga.url}/katalog", headers={"accept-language": "en"}).text
    assert "Order via WhatsApp" in english
