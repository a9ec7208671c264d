"""Simulated customers: every inbound message type of FACTS.md §1.5, in Meta's shapes."""

from __future__ import annotations

import random
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from niaga.channels.sandbox.state import Customer, SandboxState, new_wamid

CHATTER = [
    "Halo kak, masih ada stok?",
    "Berapa ongkir ke Surabaya?",
    "Bisa COD nggak kak?",
    "Pesanan saya kok belum sampai ya",
    "Terima kasih kak, barangnya sudah diterima 🙏",
    "Ada warna lain?",
    "Jam berapa tokonya buka?",
    "Saya mau pesan 2 ya kak",
]
# The sandbox has no catalog: every product costs this much in carts (IDR).
SANDBOX_ITEM_PRICE = 150_000
NAMES = ["Siti", "Budi", "Dewi", "Agus", "Rina", "Putu", "Wayan", "Nur", "Eko", "Lestari"]


class InboundRequest(BaseModel):
    """What a simulated customer sends (``POST /_control/customers/{phone}/send``)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        description="text, image, video, audio, voice, document, sticker, location, contacts, "
        "button_reply, list_reply, template_button, order, reaction, unreaction, reply, "
        "forwarded, frequently_forwarded, product_inquiry, referral, changed_number, "
        "unsupported, flow_reply, edit, revoke"
    )
    text: str | None = None
    caption: str | None = None
    filename: str | None = None
    mime_type: str | None = None
    data_base64: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    context_wamid: str | None = None
    id: str | None = None
    title: str | None = None
    description: str | None = None
    payload: str | None = None
    emoji: str | None = None
    items: list[dict[str, Any]] | None = None
    catalog_id: str | None = None
    product_retailer_id: str | None = None
    new_phone: str | None = None
    contacts: list[dict[str, Any]] | None = None
    response: dict[str, Any] | None = None


def _sample_image(fmt: str) -> bytes:
    """A small real picture, so what a simulated customer sends decodes like a phone's photo."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 48), (236, 229, 221))
    ImageDraw.Draw(image).rectangle((8, 8, 56, 40), fill=(37, 211, 102))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


_MEDIA_DEFAULTS = {
    "image": ("image/jpeg", _sample_image("JPEG")),
    "video": ("video/mp4", b"\x00\x00\x00\x18ftypmp42sandbox"),
    "audio": ("audio/ogg", b"OggSsandbox-audio"),
    "voice": ("audio/ogg; codecs=opus", b"OggSsandbox-voice"),
    "document": ("application/pdf", b"%PDF-1.4 sandbox"),
    "sticker": ("image/webp", _sample_image("WEBP")),
}


def build_message(
    state: SandboxState, customer: Customer, req: InboundRequest, business_number: str
) -> dict[str, Any]:
    """The ``messages[]`` item Meta would post for this customer action."""
    import base64

    msg: dict[str, Any] = {"id": new_wamid(), "timestamp": str(int(time.time()))}
    # Users who adopted a username may come without their phone number (FACTS.md §1.4).
    if not customer.username:
        msg["from"] = customer.phone
    if customer.user_id:
        msg["from_user_id"] = customer.user_id
    kind = req.type
    text = req.text or "Halo kak"
    if kind in (
        "text",
        "reply",
        "forwarded",
        "frequently_forwarded",
        "product_inquiry",
        "referral",
    ):
        msg["type"] = "text"
        msg["text"] = {"body": text}
        if kind == "reply":
            msg["context"] = {"from": business_number, "id": req.context_wamid or new_wamid()}
        elif kind == "forwarded":
            msg["context"] = {"forwarded": True}
        elif kind == "frequently_forwarded":
            msg["context"] = {"frequently_forwarded": True}
        elif kind == "product_inquiry":
            msg["context"] = {
                "from": business_number,
                "id": req.context_wamid or new_wamid(),
                "referred_product": {
                    "catalog_id": req.catalog_id or "194836987003835",
                    "product_retailer_id": req.product_retailer_id or "gamis-navy-l",
                },
            }
        elif kind == "referral":
            msg["referral"] = {
                "source_url": "https://fb.me/3cr4Wqqkv",
                "source_id": "120226305854810726",
                "source_type": "ad",
                "body": "Promo Lebaran — diskon 30%",
                "headline": "Chat dengan kami",
                "media_type": "image",
                "image_url": "https://scontent.xx.fbcdn.net/v/sandbox.jpg",
                "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7J",
                "welcome_message": {"text": "Halo! Ada yang bisa kami bantu?"},
            }
    elif kind in _MEDIA_DEFAULTS:
        mime, data = _MEDIA_DEFAULTS[kind]
        if req.data_base64:
            data = base64.b64decode(req.data_base64)
        media = state.add_media(data, req.mime_type or mime)
        wire = "audio" if kind == "voice" else kind
        obj: dict[str, Any] = {"id": media.id, "mime_type": media.mime_type, "sha256": media.sha256}
        if wire in ("image", "video", "document") and req.caption:
            obj["caption"] = req.caption
        if wire == "document":
            obj["filename"] = req.filename or "dokumen.pdf"
        if wire == "audio":
            obj["voice"] = kind == "voice"
        if wire == "sticker":
            obj["animated"] = False
        msg["type"] = wire
        msg[wire] = obj
    elif kind == "location":
        loc: dict[str, Any] = {
            "latitude": req.latitude if req.latitude is not None else -6.9175,
            "longitude": req.longitude if req.longitude is not None else 107.6191,
        }
        if req.name:
            loc["name"] = req.name
        if req.address:
            loc["address"] = req.address
        msg["type"] = "location"
        msg["location"] = loc
    elif kind == "contacts":
        msg["type"] = "contacts"
        msg["contacts"] = req.contacts or [
            {
                "name": {
                    "formatted_name": "Rina Wulandari",
                    "first_name": "Rina",
                    "last_name": "Wulandari",
                },
                "phones": [
                    {"phone": "+62 813-9876-5405", "wa_id": "6281398765405", "type": "CELL"}
                ],
            }
        ]
    elif kind in ("button_reply", "list_reply"):
        reply: dict[str, Any] = {"id": req.id or "opsi_1", "title": req.title or "Ya"}
        if kind == "list_reply" and req.description:
            reply["description"] = req.description
        msg["type"] = "interactive"
        msg["interactive"] = {"type": kind, kind: reply}
        msg["context"] = {"from": business_number, "id": req.context_wamid or new_wamid()}
    elif kind == "flow_reply":
        import json

        msg["type"] = "interactive"
        msg["interactive"] = {
            "type": "nfm_reply",
            "nfm_reply": {
                "name": "flow",
                "body": "Sent",
                "response_json": json.dumps(req.response or {"flow_token": "sandbox"}),
            },
        }
        msg["context"] = {"from": business_number, "id": req.context_wamid or new_wamid()}
    elif kind == "template_button":
        msg["type"] = "button"
        msg["button"] = {
            "payload": req.payload or req.title or "Lihat promo",
            "text": req.title or req.text or "Lihat promo",
        }
        msg["context"] = {"from": business_number, "id": req.context_wamid or new_wamid()}
    elif kind == "order":
        items = req.items or [
            {
                "product_retailer_id": "gamis-navy-l",
                "quantity": 1,
                "item_price": SANDBOX_ITEM_PRICE,
                "currency": "IDR",
            }
        ]
        msg["type"] = "order"
        msg["order"] = {
            "catalog_id": req.catalog_id or "194836987003835",
            "text": req.text or "Saya pesan ini ya kak",
            "product_items": [
                {
                    # Meta's keys, or the short ones (sku, price) a demo script writes.
                    "product_retailer_id": str(i.get("product_retailer_id") or i.get("sku")),
                    "quantity": int(i.get("quantity", 1)),
                    "item_price": i.get("item_price", i.get("price", 0)),
                    "currency": i.get("currency", "IDR"),
                }
                for i in items
            ],
        }
    elif kind in ("reaction", "unreaction"):
        target = req.context_wamid or new_wamid()
        msg["type"] = "reaction"
        msg["reaction"] = {"message_id": target}
        if kind == "reaction":
            msg["reaction"]["emoji"] = req.emoji or "👍"
    elif kind == "changed_number":
        new = req.new_phone or customer.phone
        msg["type"] = "system"
        msg["system"] = {
            "body": f"User {customer.name} changed from {customer.phone} to {new}",
            "wa_id": new,
            "type": "user_changed_number",
        }
    elif kind == "unsupported":
        msg["type"] = "unsupported"
        msg["unsupported"] = {"type": "poll"}
        msg["errors"] = [
            {
                "code": 131051,
                "title": "Message type unknown",
                "message": "Message type unknown",
                "error_data": {"details": "Message type is currently not supported."},
            }
        ]
    elif kind == "edit":
        msg["type"] = "edit"
        msg["edit"] = {
            "original_message_id": req.context_wamid or new_wamid(),
            "message": {"type": "text", "text": {"body": text}},
        }
    elif kind == "revoke":
        msg["type"] = "revoke"
        msg["revoke"] = {"original_message_id": req.context_wamid or new_wamid()}
    else:
        raise ValueError(f"unknown inbound type {kind!r}")
    return msg


def contact_of(customer: Customer) -> dict[str, Any]:
    """The ``contacts[]`` item that accompanies a customer's message."""
    profile: dict[str, Any] = {"name": customer.name}
    if customer.username:
        profile["username"] = customer.username
    contact: dict[str, Any] = {"profile": profile}
    if customer.phone and not customer.username:
        contact["wa_id"] = customer.phone
    if customer.user_id:
        contact["user_id"] = customer.user_id
    return contact


def autoreply_for(body: dict[str, Any]) -> InboundRequest | None:
    """How an autoreply customer answers what the business sent (or None)."""
    kind = body.get("type")
    wamid_hint = None
    if kind == "interactive":
        inter = body["interactive"]
        itype = inter.get("type")
        if itype == "button":
            b = random.choice(inter["action"]["buttons"])["reply"]
            return InboundRequest(
                type="button_reply", id=b["id"], title=b["title"], context_wamid=wamid_hint
            )
        if itype == "list":
            rows = [r for s in inter["action"]["sections"] for r in s["rows"]]
            r = random.choice(rows)
            return InboundRequest(
                type="list_reply", id=r["id"], title=r["title"], description=r.get("description")
            )
        if itype in ("product", "product_list", "catalog_message"):
            action = inter.get("action") or {}
            if itype == "product":
                ids = [action.get("product_retailer_id")]
            elif itype == "product_list":
                ids = [
                    i["product_retailer_id"] for s in action["sections"] for i in s["product_items"]
                ]
            else:
                ids = [
                    (action.get("parameters") or {}).get("thumbnail_product_retailer_id")
                    or "gamis-navy-l"
                ]
            chosen = random.sample(ids, k=min(2, len(ids)))
            return InboundRequest(
                type="order",
                catalog_id=action.get("catalog_id"),
                items=[
                    {
                        "product_retailer_id": pid,
                        "quantity": random.randint(1, 2),
                        "item_price": SANDBOX_ITEM_PRICE,
                        "currency": "IDR",
                    }
                    for pid in chosen
                ],
            )
        if itype == "location_request_message":
            return InboundRequest(type="location", name="Rumah", address="Jl. Kenanga 3")
    if kind == "template":
        return InboundRequest(type="text", text="Oke kak, terima kasih")
    if kind == "text":
        return InboundRequest(type="text", text="Terima kasih kak 🙏")
    return None


def random_chatter() -> InboundRequest:
    return InboundRequest(type="text", text=random.choice(CHATTER))


def random_customer(state: SandboxState) -> Customer:
    phone = f"62812{random.randint(10_000_000, 99_999_999)}"
    name = f"{random.choice(NAMES)} {random.choice(NAMES)}"
    return state.customers.setdefault(phone, Customer(phone=phone, name=name))
