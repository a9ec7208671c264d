"""What the sandbox phone shows, built from sandbox state (no server needed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from niaga.channels.sandbox.customers import InboundRequest, build_message
from niaga.channels.sandbox.phone_view import PhoneView
from niaga.channels.sandbox.state import Customer, SandboxState, new_wamid

PHONE = "6281234567890"
BUSINESS = "6281100000000"


@pytest.fixture
def state() -> SandboxState:
    s = SandboxState(max_log=1000)
    s.customers[PHONE] = Customer(phone=PHONE, name="Siti")
    return s


def view(state: SandboxState, locale: str = "id", statuses: bool = True) -> PhoneView:
    return PhoneView(
        state,
        delivered_delay=0.5,
        statuses_enabled=statuses,
        media_base="/sandbox/phone/media",
        locale=locale,
    )


def business(
    state: SandboxState, kind: str, payload: Any, status: str | None = "delivered", **extra: Any
) -> str:
    """Log a business send to PHONE as the sandbox does, with its latest status."""
    wamid = new_wamid()
    body = {"messaging_product": "whatsapp", "to": PHONE, "type": kind, kind: payload, **extra}
    state.log_message(
        {"wamid": wamid, "to": PHONE, "type": kind, "body": body, "received_at": time.time()}
    )
    if status:
        state.log_webhook(
            {
                "payload": {
                    "entry": [
                        {"changes": [{"value": {"statuses": [{"id": wamid, "status": status}]}}]}
                    ]
                }
            }
        )
    return wamid


def customer(state: SandboxState, **req: Any) -> str:
    msg = build_message(state, state.customers[PHONE], InboundRequest(**req), BUSINESS)
    state.remember_inbound(msg["id"], {"from": PHONE, "message": msg})
    return msg["id"]


def test_templates_show_their_filled_parameters(state: SandboxState) -> None:
    positional = {
        "name": "konfirmasi_pesanan",
        "language": {"code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Siti"},
                    {"type": "text", "text": "#10023"},
                    {
                        "type": "currency",
                        "currency": {
                            "fallback_value": "Rp150.000",
                            "code": "IDR",
                            "amount_1000": 150000000,
                        },
                    },
                ],
            },
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "10023"}],
            },
        ],
    }
    named = {
        "name": "status_pengiriman",
        "language": {"code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "parameter_name": "kurir", "text": "JNE"},
                    {"type": "text", "parameter_name": "nama", "text": "Siti"},
                    {"type": "text", "parameter_name": "nomor_pesanan", "text": "#10024"},
                ],
            }
        ],
    }
    promo = {
        "name": "promo_bulanan",
        "language": {"code": "id"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "image", "image": {"link": "https://tokosari.id/p.jpg"}}],
            },
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Siti"}, {"type": "text", "text": "30%"}],
            },
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "1",
                "parameters": [{"type": "payload", "payload": "STOP"}],
            },
        ],
    }
    ids = [business(state, "template", t) for t in (positional, named, promo)]
    items = {i["id"]: i for i in view(state).chat(state.customers[PHONE])}
    first = items[ids[0]]
    assert first["kind"] == "template"
    assert first["text"] == (
        "Halo Siti, pesanan #10023 sebesar Rp150.000 sudah kami terima. "
        "Terima kasih sudah berbelanja!"
    )
    assert first["buttons"] == [
        {
            "kind": "url",
            "id": "0",
            "title": "Lihat pesanan",
            "url": "https://tokosari.id/pesanan/10023",
        }
    ]
    assert (
        items[ids[1]]["text"] == "Halo Siti, pesanan #10024 sudah dikirim lewat JNE. Terima kasih!"
    )
    third = items[ids[2]]
    assert (
        third["media"]["type"] == "image" and third["media"]["link"] == "https://tokosari.id/p.jpg"
    )
    assert third["media"]["url"] is None  # links are never fetched by the phone
    assert [(b["kind"], b["title"], b["payload"]) for b in third["buttons"]] == [
        ("quick_reply", "Lihat promo", None),
        ("quick_reply", "Berhenti promosi", "STOP"),
    ]


def test_reactions_edits_revokes_and_quotes(state: SandboxState) -> None:
    hello = customer(state, type="text", text="Halo kak")
    answer = business(state, "text", {"body": "Halo Siti"}, context={"message_id": hello})
    business(state, "reaction", {"message_id": hello, "emoji": "❤️"})
    customer(state, type="reaction", context_wamid=answer, emoji="👍")
    typo = customer(state, type="text", text="Saya mau pesn")
    customer(state, type="edit", context_wamid=typo, text="Saya mau pesan")
    gone = customer(state, type="text", text="salah kirim")
    customer(state, type="revoke", context_wamid=gone)
    items = {i["id"]: i for i in view(state).chat(state.customers[PHONE])}
    assert list(items) == [hello, answer, typo, gone]
    assert items[hello]["reactions"] == [{"from": "biz", "emoji": "❤️"}]
    assert items[answer]["reactions"] == [{"from": "me", "emoji": "👍"}]
    assert items[answer]["quote"] == {"id": hello, "from": "me", "text": "Halo kak"}
    assert (items[typo]["text"], items[typo]["edited"]) == ("Saya mau pesan", True)
    assert (items[gone]["text"], items[gone]["deleted"]) == ("Pesan ini telah dihapus", True)
    customer(state, type="unreaction", context_wamid=answer)
    assert view(state).chat(state.customers[PHONE])[1]["reactions"] == []


def test_only_delivered_sends_show_and_failed_never(state: SandboxState) -> None:
    shown = business(state, "text", {"body": "terkirim"}, status="delivered")
    failed = business(state, "text", {"body": "gagal"}, status="failed")
    pending = business(state, "text", {"body": "baru"}, status="sent")
    phone = view(state)
    assert [i["id"] for i in phone.chat(state.customers[PHONE])] == [shown]
    # A send whose statuses never came (statuses off, or dropped) shows a moment later.
    later = time.time() + 2
    sends = {s["wamid"]: s for s in phone.sends(state.customers[PHONE])}
    assert phone.reached_phone(sends[pending], now=later)
    assert not phone.reached_phone(sends[failed], now=later)
    assert [s["wamid"] for s in phone.unread(state.customers[PHONE])] == [shown]
    assert phone.chats()[0]["unread"] == 1


def test_customer_ticks_turn_blue_up_to_the_message_niaga_read(state: SandboxState) -> None:
    first = customer(state, type="text", text="satu")
    second = customer(state, type="text", text="dua")
    third = customer(state, type="text", text="tiga")
    state.inbound[third]["niaga_status"] = 500
    state.inbound[second]["read"] = True
    ticks = {i["id"]: i["status"] for i in view(state).chat(state.customers[PHONE])}
    assert ticks == {first: "read", second: "read", third: "sent"}


def test_orders_locations_and_media_labels(state: SandboxState) -> None:
    customer(
        state,
        type="order",
        items=[{"product_retailer_id": "gamis-navy-l", "quantity": 3, "item_price": 150000}],
    )
    customer(state, type="location", latitude=-6.175392, longitude=106.827153, name="Monas")
    customer(state, type="image", caption="ini fotonya")
    business(
        state,
        "interactive",
        {
            "type": "catalog_message",
            "body": {"text": "Lihat katalog kami"},
            "action": {
                "name": "catalog_message",
                "parameters": {"thumbnail_product_retailer_id": "hijab-pink"},
            },
        },
    )
    phone = view(state, locale="en")
    order, place, image, catalog = phone.chat(state.customers[PHONE])
    assert order["header"] == "3 items · Rp450.000"
    assert order["products"][0]["name"] == "Gamis Navy L"
    assert phone.preview(place) == "📍 Monas"
    assert image["media"]["url"].startswith("/sandbox/phone/media/")  # a thumbnail
    assert phone.preview(image) == "Photo: ini fotonya"
    assert (catalog["kind"], catalog["cta"], catalog["products"][0]["id"]) == (
        "products",
        "View catalog",
        "hijab-pink",
    )


def test_times_show_in_the_business_time_zone(state: SandboxState) -> None:
    phone = view(state)
    at = datetime(2026, 11, 29, 2, 5, tzinfo=UTC).timestamp()
    assert phone.clock(at) == "09:05"
    assert phone.day(time.time()) == "Hari ini"
    assert view(state, locale="en").day(time.time() - 86400) == "Yesterday"
    assert phone.day(at - 30 * 86400) == "30 Oktober 2026"


def test_indexes_follow_the_bounded_logs_and_resets() -> None:
    state = SandboxState(max_log=3)
    state.customers[PHONE] = Customer(phone=PHONE, name="Siti")
    ids = [business(state, "text", {"body": str(n)}) for n in range(5)]
    assert [s["wamid"] for s in state.sent_to(PHONE)] == ids[2:]
    assert [s["wamid"] for s in state.sent_to(PHONE, last=2)] == ids[3:]
    got = [customer(state, type="text", text=str(n)) for n in range(5)]
    assert [w for w, _ in state.received_from(PHONE)] == got[2:]
    assert [w for w, _ in state.received_from(PHONE, last=1)] == got[4:]
    state.messages.clear()  # what Sandbox.reset does
    state.inbound.clear()
    assert state.sent_to(PHONE) == [] and state.received_from(PHONE) == []
    newer = business(state, "text", {"body": "baru"})
    assert [s["wamid"] for s in state.sent_to(PHONE)] == [newer]
