"""``/sandbox/phone``: the customer's side, through real HTTP on the live Niaga."""

from __future__ import annotations

import base64
import json
import struct
import threading
import zlib
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from niaga.channels.content import Cart, Choice, Location
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from niaga.security.tokens import do_create_token
from tests.conftest import LiveServer, free_port, make_settings, wait_for
from tests.sandbox_client import SandboxControl

PHONE = "6281234567890"
BUTTONS = {
    "type": "reply_buttons",
    "body": "Mau dikirim kapan?",
    "buttons": [{"id": "kirim_hari_ini", "title": "Hari ini"}, {"id": "besok", "title": "Besok"}],
}
LIST = {
    "type": "list",
    "body": "Pilih ukuran",
    "button": "Ukuran",
    "sections": [
        {
            "title": "Gamis",
            "rows": [
                {"id": "gamis_m", "title": "M"},
                {"id": "gamis_l", "title": "L", "description": "Lingkar dada 110 cm"},
            ],
        }
    ],
}


class Phone:
    """The page's JSON API, as its JavaScript calls it."""

    def __init__(self, niaga: LiveServer) -> None:
        self.base = f"{niaga.url}/sandbox/phone"

    def create(self, name: str, phone: str, lang: str = "id") -> httpx.Response:
        return httpx.post(
            f"{self.base}/api/customers", params={"lang": lang}, json={"name": name, "phone": phone}
        )

    def send(self, wa_id: str, lang: str = "id", **message: Any) -> httpx.Response:
        return httpx.post(
            f"{self.base}/api/chats/{wa_id}/messages",
            params={"lang": lang},
            json=message,
            timeout=30,
        )

    def items(self, wa_id: str) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.base}/api/chats/{wa_id}")
        r.raise_for_status()
        return r.json()["items"]

    def read(self, wa_id: str) -> list[str]:
        r = httpx.post(f"{self.base}/api/chats/{wa_id}/read", json={})
        r.raise_for_status()
        return r.json()["read"]

    def chats(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.base}/api/chats").json()


def api_token(factory: Any) -> dict[str, str]:
    with transaction(factory) as s:
        _, secret = do_create_token(s, name="phone-test", role="agent")
    return {"Authorization": f"Bearer {secret}"}


def inbound(factory: Any, type_: str | None = None) -> list[Message]:
    with factory() as s:
        query = select(Message).where(Message.direction == "in").order_by(Message.id)
        rows = list(s.scalars(query))
    return [m for m in rows if type_ is None or m.type == type_]


def conversation_id(factory: Any) -> int:
    def find() -> int | None:
        with factory() as s:
            return s.scalars(select(Conversation.id)).first()

    return wait_for(find)


def business_sends(
    niaga: LiveServer, factory: Any, headers: dict[str, str], message: dict[str, Any]
) -> str:
    """Niaga sends ``message`` through its API and outbox; returns the wamid once sent."""
    conv = conversation_id(factory)
    r = httpx.post(
        f"{niaga.url}/api/v1/conversations/{conv}/messages",
        json={"message": message},
        headers=headers,
        timeout=30,
    )
    assert r.status_code == 202, r.text
    message_id = r.json()["id"]

    def wamid() -> str | None:
        with factory() as s:  # the API's transaction may commit just after it answered
            row = s.get(Message, message_id)
            return row.wamid if row is not None else None

    return wait_for(wamid)


def status_of(factory: Any, wamid: str) -> str:
    with factory() as s:
        return s.scalars(select(Message.status).where(Message.wamid == wamid)).one()


@pytest.fixture
def phone(niaga: LiveServer) -> Phone:
    return Phone(niaga)


def test_page_in_indonesian_by_default_and_english_on_request(niaga: LiveServer) -> None:
    r = httpx.get(f"{niaga.url}/sandbox/phone")
    assert r.status_code == 200
    assert "Ponsel pelanggan" in r.text and "Ketik pesan" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    config = r.text.split('data-config="', 1)[1].split('"', 1)[0]
    assert "Balas" in config.replace("&#34;", '"')
    en = httpx.get(f"{niaga.url}/sandbox/phone", params={"lang": "en"})
    assert "Customer phone" in en.text and "Type a message" in en.text
    assert "Ponsel pelanggan" not in en.text
    js = httpx.get(f"{niaga.url}/sandbox/phone/assets/phone.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in js.text
    assert httpx.get(f"{niaga.url}/sandbox/phone/assets/phone.html").status_code == 404


def test_create_customer_validates_e164_with_indonesia_as_default(phone: Phone) -> None:
    r = phone.create("Siti Rahmawati", "0812-3456-7890")
    assert r.status_code == 201, r.text
    assert r.json()["e164"] == "+6281234567890"
    assert r.json()["phone"] == PHONE
    again = phone.create("Siti R.", "+62 812 3456 7890")
    assert again.status_code == 201 and again.json()["name"] == "Siti R."
    assert [c["name"] for c in phone.chats()] == ["Siti R."]

    bad = phone.create("Budi", "12345")
    assert bad.status_code == 422
    assert bad.json()["detail"] == "Nomor telepon tidak valid: 12345. Contoh: 0812-3456-7890."
    assert (
        phone.create("Budi", "12345", lang="en")
        .json()["detail"]
        .startswith("Not a valid phone number: 12345")
    )
    assert phone.create("  ", "081298765432").json()["detail"] == "Isi nama pelanggan."
    assert [c["phone"] for c in phone.chats()] == [PHONE]


def test_text_location_and_taps_reach_niaga(niaga: LiveServer, factory: Any, phone: Phone) -> None:
    phone.create("Siti", "081234567890")
    r = phone.send(PHONE, type="text", text="Halo kak, gamis L ada?")
    assert r.status_code == 200 and r.json()["niaga_status"] == 200
    wait_for(lambda: inbound(factory, "text"))
    assert inbound(factory, "text")[0].text == "Halo kak, gamis L ada?"

    headers = api_token(factory)
    buttons = business_sends(niaga, factory, headers, BUTTONS)
    menu = business_sends(niaga, factory, headers, LIST)
    items = wait_for(lambda: len(phone.items(PHONE)) == 3 and phone.items(PHONE))
    shown = {i["id"]: i for i in items}
    assert [b["title"] for b in shown[buttons]["buttons"]] == ["Hari ini", "Besok"]
    assert shown[menu]["list"]["sections"][0]["rows"][1]["description"] == "Lingkar dada 110 cm"

    wrong = phone.send(PHONE, type="button_reply", id="nope", context_wamid=buttons)
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == "Tombol itu tidak ada di pesan tersebut."
    assert (
        phone.send(PHONE, type="button_reply", id="besok", context_wamid=buttons).status_code == 200
    )
    assert phone.send(PHONE, type="list_reply", id="gamis_l", context_wamid=menu).status_code == 200
    assert phone.send(PHONE, type="location").status_code == 200

    def recorded() -> dict[str, Message] | None:
        rows = {m.type: m for m in inbound(factory)}
        return rows if len(rows) >= 4 else None

    rows = wait_for(recorded)
    button = next(m for t, m in rows.items() if "button_reply" in t)
    choice = button.inbound
    assert isinstance(choice, Choice) and (choice.choice_id, choice.title) == ("besok", "Besok")
    assert button.context_wamid == buttons
    row = next(m for t, m in rows.items() if "list_reply" in t)
    assert isinstance(row.inbound, Choice) and row.inbound.choice_id == "gamis_l"
    assert row.context_wamid == menu
    location = rows["location"]
    place = location.inbound
    assert isinstance(place, Location) and (place.latitude, place.longitude) == (
        -6.175392,
        106.827153,
    )
    assert place.name == "Monumen Nasional (Monas)"


def test_bad_input_is_refused_and_nothing_is_sent(
    niaga: LiveServer, factory: Any, phone: Phone
) -> None:
    phone.create("Siti", "081234567890")
    assert phone.send(PHONE, type="text", text="   ").json()["detail"] == "Pesannya kosong."
    far = phone.send(PHONE, type="location", latitude=91, longitude=0, lang="en")
    assert far.status_code == 422 and "between -90 and 90" in far.json()["detail"]
    assert phone.send(PHONE, type="order", items=[]).status_code == 422
    assert phone.send(PHONE, type="sticker").status_code == 422
    assert (
        phone.send(PHONE, type="list_reply", id="x", context_wamid="wamid.none").status_code == 422
    )
    assert phone.send("6289999999999", type="text", text="hi").status_code == 404
    assert SandboxControl(niaga.url).stats()["inbound"] == 0
    assert phone.items(PHONE) == []


def test_showing_the_chat_reads_the_business_messages(
    niaga: LiveServer, factory: Any, phone: Phone
) -> None:
    SandboxControl(niaga.url).configure(read_probability=0.0)
    phone.create("Siti", "081234567890")
    phone.send(PHONE, type="text", text="Halo")
    wamid = business_sends(niaga, factory, api_token(factory), {"type": "text", "body": "Ada kak"})
    wait_for(lambda: status_of(factory, wamid) == "delivered")
    assert wait_for(lambda: phone.chats()[0]["unread"] == 1)
    item = next(i for i in phone.items(PHONE) if i["id"] == wamid)
    assert item["unread"] is True and item["from"] == "biz"

    assert phone.read(PHONE) == [wamid]
    assert wait_for(lambda: status_of(factory, wamid) == "read")
    assert phone.read(PHONE) == []  # once only
    assert phone.chats()[0]["unread"] == 0


def test_failed_sends_never_reach_the_phone(niaga: LiveServer, factory: Any, phone: Phone) -> None:
    number = "6281234560000"  # the sandbox says numbers ending 0000 are not on WhatsApp
    phone.create("Tidak Ada", "081234560000")
    phone.send(number, type="text", text="Halo")
    wamid = business_sends(niaga, factory, api_token(factory), {"type": "text", "body": "Halo"})
    wait_for(lambda: status_of(factory, wamid) == "failed")
    assert [i["from"] for i in phone.items(number)] == ["me"]
    assert phone.read(number) == []


def test_product_list_cart_becomes_an_order(niaga: LiveServer, factory: Any, phone: Phone) -> None:
    phone.create("Siti", "081234567890")
    phone.send(PHONE, type="text", text="Ada katalog?")
    products = {
        "type": "product_list",
        "catalog_id": "194836987003835",
        "header": "Gamis baru",
        "body": "Pilihan minggu ini",
        "sections": [
            {
                "title": "Gamis",
                "product_items": [
                    {"product_retailer_id": "gamis-navy-l"},
                    {"product_retailer_id": "gamis-hitam-m"},
                ],
            }
        ],
    }
    wamid = business_sends(niaga, factory, api_token(factory), products)
    item = wait_for(lambda: next((i for i in phone.items(PHONE) if i["id"] == wamid), None))
    assert [p["name"] for p in item["products"]] == ["Gamis Navy L", "Gamis Hitam M"]
    assert item["products"][0]["price_text"] == "Rp150.000"
    r = phone.send(
        PHONE,
        type="order",
        catalog_id="194836987003835",
        items=[{"product_retailer_id": "gamis-navy-l", "quantity": 2}],
    )
    assert r.status_code == 200
    order = wait_for(lambda: inbound(factory, "order"))[0]
    cart = order.inbound
    assert isinstance(cart, Cart) and cart.items[0].quantity == 2
    mine = next(i for i in phone.items(PHONE) if i["kind"] == "order")
    assert mine["header"] == "2 barang · Rp300.000"


def test_live_stream_pushes_new_business_messages(
    niaga: LiveServer, factory: Any, phone: Phone
) -> None:
    phone.create("Siti", "081234567890")
    phone.send(PHONE, type="text", text="Halo")
    events: list[tuple[str, Any]] = []
    stop = threading.Event()

    def listen() -> None:
        url = f"{phone.base}/api/events"
        with httpx.stream("GET", url, params={"chat": PHONE}, timeout=30) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in r.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
                if stop.is_set():
                    return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    wait_for(lambda: any(n == "items" for n, _ in events))
    first = [i["text"] for n, d in events if n == "items" for i in d["items"]]
    assert first == ["Halo"]
    wamid = business_sends(niaga, factory, api_token(factory), {"type": "text", "body": "Ada kak"})
    pushed = wait_for(
        lambda: [i for n, d in events if n == "items" for i in d["items"] if i["id"] == wamid]
    )
    assert pushed[0]["text"] == "Ada kak" and pushed[0]["from"] == "biz"
    chats = [d for n, d in events if n == "chats"]
    assert chats[-1][0]["preview"] in ("Ada kak", "Halo")
    stop.set()
    phone.send(PHONE, type="text", text="wake the stream so it notices")
    thread.join(timeout=10)


def test_phone_does_not_exist_without_the_sandbox(fresh_database_url: str) -> None:
    server = LiveServer(make_settings(fresh_database_url, free_port(), sandbox=False))
    server.start()
    try:
        for path in (
            "/sandbox/phone",
            "/sandbox/phone/api/chats",
            "/sandbox/phone/assets/phone.js",
        ):
            assert httpx.get(f"{server.url}{path}").status_code == 404
    finally:
        server.stop()


def test_thumbnails_are_served_for_raster_images_only(niaga: LiveServer) -> None:
    def upload(data: bytes, mime: str) -> str:
        r = httpx.post(
            f"{niaga.url}/sandbox/v23.0/{niaga.settings.wa_phone_number_id}/media",
            headers={"Authorization": f"Bearer {niaga.settings.wa_access_token}"},
            files={"file": ("f", data, mime)},
            data={"type": mime, "messaging_product": "whatsapp"},
        )
        r.raise_for_status()
        return r.json()["id"]

    png = upload(b"\x89PNG\r\n\x1a\nsandbox", "image/png")
    svg = upload(
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"
    )
    r = httpx.get(f"{niaga.url}/sandbox/phone/media/{png}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content.startswith(b"\x89PNG")
    assert httpx.get(f"{niaga.url}/sandbox/phone/media/{svg}").status_code == 404
    assert httpx.get(f"{niaga.url}/sandbox/phone/media/123").status_code == 404


def test_templates_show_filled_and_quick_replies_answer(
    niaga: LiveServer, factory: Any, phone: Phone
) -> None:
    phone.create("Siti", "081234567890")
    phone.send(PHONE, type="text", text="Pesanan saya gimana kak?")
    headers = api_token(factory)
    confirm = business_sends(
        niaga,
        factory,
        headers,
        {
            "type": "template",
            "name": "konfirmasi_pesanan",
            "language": "id",
            "body_params": ["Siti", "#10023", "Rp150.000"],
            "buttons": [{"sub_type": "url", "index": 0, "text": "10023"}],
        },
    )
    rating = business_sends(
        niaga,
        factory,
        headers,
        {
            "type": "template",
            "name": "minta_rating",
            "language": "id",
            "buttons": [{"sub_type": "quick_reply", "index": 0, "payload": "RATING_5"}],
        },
    )
    items = wait_for(lambda: len(phone.items(PHONE)) == 3 and phone.items(PHONE))
    shown = {i["id"]: i for i in items}
    assert shown[confirm]["text"].startswith("Halo Siti, pesanan #10023 sebesar Rp150.000")
    assert shown[confirm]["buttons"][0]["url"] == "https://tokosari.id/pesanan/10023"
    assert [b["title"] for b in shown[rating]["buttons"]][:2] == ["5 ⭐", "4 ⭐"]
    r = phone.send(PHONE, type="template_button", id="0", context_wamid=rating)
    assert r.status_code == 200, r.text
    button = wait_for(lambda: [m for m in inbound(factory) if m.type.startswith("button")])[0]
    assert button.context_wamid == rating
    assert isinstance(button.inbound, Choice) and button.inbound.choice_id == "RATING_5"
    assert "5 ⭐" in (button.text or str(button.content))


def png(size: int = 8) -> bytes:
    """A real, small, green PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x00\xa8\x84" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_customer_sends_a_photo(niaga: LiveServer, factory: Any, phone: Phone) -> None:
    phone.create("Siti", "081234567890")
    data = base64.b64encode(png()).decode()
    r = phone.send(PHONE, type="image", mime_type="image/png", data_base64=data, caption="ini")
    assert r.status_code == 200, r.text
    image = wait_for(lambda: inbound(factory, "image"))[0]
    assert image.content.get("caption") == "ini" or image.text == "ini"
    item = phone.items(PHONE)[0]
    assert item["kind"] == "media" and item["text"] == "ini"
    thumb = httpx.get(f"{niaga.url}{item['media']['url']}")
    assert thumb.status_code == 200 and thumb.content == png()

    svg = base64.b64encode(b"<svg/>").decode()
    for bad in (
        {"mime_type": "image/svg+xml", "data_base64": svg},
        {"mime_type": "image/png", "data_base64": svg},
        {"mime_type": "image/png", "data_base64": "not base64!"},
    ):
        r = phone.send(PHONE, type="image", **bad)
        assert r.status_code == 422
        assert r.json()["detail"] == "Kirim gambar JPEG, PNG atau WebP."
    assert len(inbound(factory, "image")) == 1


def test_ticks_turn_blue_when_the_agent_reads(
    niaga: LiveServer, factory: Any, phone: Phone
) -> None:
    from niaga.inbox.service import do_mark_read

    phone.create("Siti", "081234567890")
    phone.send(PHONE, type="text", text="satu")
    phone.send(PHONE, type="text", text="dua")
    wait_for(lambda: len(inbound(factory)) == 2)
    assert [i["status"] for i in phone.items(PHONE)] == ["delivered", "delivered"]
    with transaction(factory) as s:
        do_mark_read(s, s.get(Conversation, conversation_id(factory)))
    assert wait_for(lambda: [i["status"] for i in phone.items(PHONE)] == ["read", "read"])
