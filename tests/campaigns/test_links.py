"""Click-to-chat links through the live server: a link per place with its code in the
prefilled text, QR codes that decode to it, a website button, and the chats, orders and revenue
a link brought in (an order from a chat the link started, within seven days)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from niaga.campaigns import links
from niaga.core import clock
from niaga.core.db import transaction
from niaga.orders.models import Order
from tests.catalog.helpers import add_product, api, token, wait_order
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

PHONE = "6281234577101"


def test_a_link_per_place_counts_its_chats_orders_and_revenue(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    add_product(niaga, admin, sku="GMS-01", name="Gamis Navy", price=150_000, stock=5)
    r = api(
        niaga,
        "POST",
        "/links",
        admin,
        json={"name": "Bio Instagram", "place": "instagram", "text": "Halo Toko Sari, mau tanya"},
    )
    assert r.status_code == 201, r.text
    link = r.json()
    code = link["code"]
    assert len(code) == 6 and code.isupper()
    target = urlsplit(link["url"])
    assert (target.netloc, target.path) == ("wa.me", "/6281100000000")
    prefilled = parse_qs(target.query)["text"][0]
    assert prefilled == f"Halo Toko Sari, mau tanya (Kode: {code})"
    assert f'href="{link["url"]}"'.replace("&", "&amp;") in link["button_html"]
    poster = api(
        niaga,
        "POST",
        "/links",
        admin,
        json={"name": "Poster toko", "place": "poster", "text": "Halo, saya lihat poster"},
    ).json()

    # A customer taps the link: the chat opens with the text and the code.
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Nina")
    sb.send(PHONE, type="text", text=prefilled)
    wait_for(lambda: api(niaga, "GET", f"/links/{link['id']}", admin).json()["chats"] == 1)
    # ... and orders from the catalog in that chat.
    sb.send(PHONE, type="order", items=[{"sku": "GMS-01", "quantity": 2, "price": 150000}])
    order_id = wait_order(factory)
    got = api(niaga, "GET", f"/links/{link['id']}", admin).json()
    assert (got["chats"], got["orders"], got["revenue"], got["revenue_display"]) == (
        1,
        1,
        300_000,
        "Rp300.000",
    )
    order = api(niaga, "GET", f"/orders/{order_id}", admin).json()
    assert order["source"] == "click_to_chat"
    assert order["attribution"]["click_to_chat"]["link_code"] == code
    # The other place brought nothing; a cancelled order or one after the window counts not.
    listed = {x["code"]: x for x in api(niaga, "GET", "/links", token(factory, "analyst")).json()}
    assert (listed[poster["code"]]["chats"], listed[poster["code"]]["orders"]) == (0, 0)
    with transaction(factory) as s:
        s.get_one(Order, order_id).created_at = clock.now() + timedelta(days=8)
    assert api(niaga, "GET", f"/links/{link['id']}", admin).json()["orders"] == 0


def test_qr_codes_carry_the_link_and_bad_input_is_refused(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    link = api(
        niaga,
        "POST",
        "/links",
        admin,
        json={"name": "Website", "place": "website", "text": "Hi", "locale": "en"},
    ).json()
    assert "(Code: " in parse_qs(urlsplit(link["url"]).query)["text"][0]
    svg = api(niaga, "GET", f"/links/{link['id']}/qr.svg", admin)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.content == links.qr_svg(link["url"])  # the code of exactly the wa.me link
    png = api(niaga, "GET", f"/links/{link['id']}/qr.png?scale=4", admin)
    assert png.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png.content))
    assert image.size[0] == image.size[1] > 100
    bad = api(niaga, "POST", "/links", admin, json={"name": "x", "place": "fax", "text": "x"})
    assert bad.status_code == 422
    assert (
        api(
            niaga,
            "POST",
            "/links",
            token(factory, "agent"),
            json={"name": "x", "place": "poster", "text": "x"},
        ).status_code
        == 403
    )
    assert api(niaga, "GET", "/links/999999999", admin).status_code == 404
