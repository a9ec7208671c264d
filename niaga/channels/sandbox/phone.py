"""``/sandbox/phone``: chat as a simulated customer, on a page that looks like WhatsApp Web.

The page (``phone/phone.html`` with its own ``phone.js`` and ``phone.css``) lists the simulated
customers on the left and the chosen chat on the right. What the customer does goes to Niaga as
signed webhooks, exactly like the control API's ``customers/{phone}/send``; what the business
sends shows up live over Server-Sent Events. Showing a chat reads the business's messages,
so the sandbox sends ``read`` statuses and the agent's ticks turn blue.

It lives inside the sandbox app, so it exists only where the sandbox is mounted (local and
sandbox mode); Niaga refuses to start in production with the sandbox on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from niaga.channels.sandbox.customers import SANDBOX_ITEM_PRICE, InboundRequest
from niaga.channels.sandbox.phone_view import RASTER_TYPES, PhoneView
from niaga.channels.sandbox.ports import SandboxPort
from niaga.channels.sandbox.state import Customer, bsuid_for
from niaga.core.i18n import LOCALES, format_idr, gettext
from niaga.core.phone import InvalidPhoneError, to_e164

ASSETS = Path(__file__).resolve().parent / "phone"
ASSET_TYPES = {"phone.js": "text/javascript", "phone.css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
# A stream ends after this and the page reconnects at once. Kept short because uvicorn waits
# for open responses before it shuts down (Ctrl-C waits at most this long for a phone tab).
STREAM_SECONDS = 15.0
RESCAN_SECONDS = 1.0  # changes the state does not signal (mark-as-read) show within this
IMAGE_MAX_BYTES = 5 * 1024 * 1024  # Meta's limit for images
IMAGE_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}

# Monas, Jakarta: the location form's default.
DEFAULT_LOCATION = {
    "name": "Monumen Nasional (Monas)",
    "address": "Gambir, Jakarta Pusat, DKI Jakarta 10110",
    "latitude": -6.175392,
    "longitude": 106.827153,
}

# Strings the page's JavaScript needs, by key (msgids are English).
JS_STRINGS = {
    "reply": "Reply",
    "cart_total": "{count} items · {total}",
    "no_customers": "No customers yet.",
    "reconnecting": "Offline: reconnecting…",
    "forwarded": "Forwarded",
    "edited": "Edited",
    "opens_link": "Opens {url}",
    "error": "Something went wrong: {detail}",
    "not_delivered": "Niaga did not accept the message yet (HTTP {status}); the sandbox retries.",
    "you": "You",
    "location": "Location",
    "quantity": "Quantity",
    "unread": "{count} unread",
}


class NewCustomer(BaseModel):
    """A customer created on the phone page."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    phone: str = Field(max_length=40)


class CartItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_retailer_id: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=99)


class PhoneMessage(BaseModel):
    """What the person at the phone does: type, tap, share a location, send a cart."""

    model_config = ConfigDict(extra="forbid")

    type: Literal[
        "text", "image", "location", "button_reply", "list_reply", "template_button", "order"
    ]
    text: str | None = Field(None, max_length=4096)
    context_wamid: str | None = Field(None, max_length=200)
    id: str | None = Field(None, max_length=256)
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = Field(None, max_length=1000)
    address: str | None = Field(None, max_length=1000)
    items: list[CartItem] | None = Field(None, max_length=30)
    catalog_id: str | None = Field(None, max_length=200)
    mime_type: str | None = Field(None, max_length=100)
    data_base64: str | None = Field(None, max_length=IMAGE_MAX_BYTES * 4 // 3 + 4)
    caption: str | None = Field(None, max_length=1024)


class PhoneError(Exception):
    """Bad input from the page: a translated message and a 4xx status."""

    def __init__(self, message: str, status: int = 422, **params: object) -> None:
        super().__init__(message)
        self.message, self.status, self.params = message, status, params


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(ASSETS)),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def _lang(lang: str | None) -> str:
    return lang if lang in LOCALES else "id"


def _business_timezone(sandbox: SandboxPort) -> str:
    """Niaga's business time zone (the sandbox config may carry one; else Niaga's settings)."""
    tz = getattr(sandbox.config, "timezone", None)
    if isinstance(tz, str) and tz:
        return tz
    from niaga.core.config import get_settings

    return get_settings().timezone


def phone_router(sandbox: SandboxPort) -> APIRouter:
    """The phone page, its assets and its small JSON and SSE API."""
    router = APIRouter(prefix="/phone", tags=["phone"])
    state = sandbox.state
    tz = _business_timezone(sandbox)

    def view(request: Request, lang: str) -> PhoneView:
        root = request.scope.get("root_path", "")
        return PhoneView(
            state,
            delivered_delay=float(sandbox.config.status_delays.get("delivered", 0.5)),
            statuses_enabled=sandbox.config.statuses_enabled,
            media_base=f"{root}/phone/media",
            locale=lang,
            tz=tz,
        )

    def customer_or_404(wa_id: str) -> Customer:
        customer = state.customers.get(wa_id)
        if customer is None:
            raise PhoneError("Unknown customer: {phone}", 404, phone=wa_id)
        return customer

    def fail(exc: PhoneError, lang: str) -> JSONResponse:
        return JSONResponse(
            {"detail": gettext(exc.message, lang, **exc.params)}, status_code=exc.status
        )

    @router.get("", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request, lang: str | None = None) -> HTMLResponse:
        """The phone page (Bahasa Indonesia; English with ``?lang=en``)."""
        locale = _lang(lang)
        root = request.scope.get("root_path", "")

        def _(message: str, **params: object) -> str:
            return gettext(message, locale, **params)

        config = {
            "base": f"{root}/phone",
            "lang": locale,
            "business": sandbox.config.verified_name,
            "price": SANDBOX_ITEM_PRICE,
            "price_text": format_idr(SANDBOX_ITEM_PRICE),
            "strings": {key: _(msgid) for key, msgid in JS_STRINGS.items()},
        }
        html = (
            _templates()
            .get_template("phone.html")
            .render(
                _=_,
                lang=locale,
                other_lang="en" if locale == "id" else "id",
                base=f"{root}/phone",
                business=sandbox.config.verified_name,
                location=DEFAULT_LOCATION,
                price_text=format_idr(SANDBOX_ITEM_PRICE),
                config_json=json.dumps(config, ensure_ascii=False),
            )
        )
        return HTMLResponse(
            html,
            headers={
                "content-security-policy": CSP,
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
                "cache-control": "no-store",
            },
        )

    @router.get("/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        """The page's own script and stylesheet (nothing else is served from here)."""
        if name not in ASSET_TYPES:
            return Response(status_code=404)
        return Response(
            (ASSETS / name).read_bytes(),
            media_type=ASSET_TYPES[name],
            headers={"x-content-type-options": "nosniff", "cache-control": "no-cache"},
        )

    @router.get("/media/{media_id}", include_in_schema=False)
    async def media(media_id: str) -> Response:
        """An image the business or the customer sent, for thumbnails (raster images only)."""
        item = state.media.get(media_id)
        if item is None or item.mime_type not in RASTER_TYPES:
            return Response(status_code=404)
        return Response(
            item.data,
            media_type=item.mime_type,
            headers={
                "x-content-type-options": "nosniff",
                "content-security-policy": "sandbox; default-src 'none'",
                "cache-control": "private, max-age=3600",
            },
        )

    @router.get("/api/chats")
    async def list_chats(request: Request, lang: str | None = None) -> list[dict[str, Any]]:
        """Every simulated customer, last message first, with unread counts."""
        return view(request, _lang(lang)).chats()

    @router.post("/api/customers", status_code=201)
    async def create_customer(request: Request, lang: str | None = None) -> Any:
        """Create a customer: a name and a phone number (any format; Indonesia by default)."""
        locale = _lang(lang)
        try:
            data = NewCustomer.model_validate(await _json(request))
            name = data.name.strip()
            if not name:
                raise PhoneError("Enter the customer's name.")
            try:
                e164 = to_e164(data.phone, "ID")
            except InvalidPhoneError:
                raise PhoneError(
                    "Not a valid phone number: {phone}. Example: 0812-3456-7890.",
                    phone=data.phone,
                ) from None
        except ValidationError as exc:
            return fail(PhoneError("Invalid input: {errors}", errors=_errors(exc)), locale)
        except PhoneError as exc:
            return fail(exc, locale)
        wa_id = e164.removeprefix("+")
        customer = state.customers.get(wa_id)
        if customer is None:
            customer = state.customers[wa_id] = Customer(phone=wa_id, name=name)
        else:
            customer.name = name
        state.save_customers(sandbox.config.state_file)
        state.changed.notify()
        return {**customer.public(), "e164": e164}

    @router.get("/api/chats/{wa_id}")
    async def read_chat(wa_id: str, request: Request, lang: str | None = None) -> Any:
        """One chat's bubbles, oldest first (the live stream sends the same items)."""
        locale = _lang(lang)
        try:
            customer = customer_or_404(wa_id)
        except PhoneError as exc:
            return fail(exc, locale)
        return {"customer": customer.public(), "items": view(request, locale).chat(customer)}

    @router.post("/api/chats/{wa_id}/messages")
    async def send(wa_id: str, request: Request, lang: str | None = None) -> Any:
        """The customer sends something; answers once Niaga answered the webhook."""
        locale = _lang(lang)
        try:
            customer = customer_or_404(wa_id)
            data = PhoneMessage.model_validate(await _json(request))
            inbound = _inbound(data, view(request, locale), customer)
        except ValidationError as exc:
            return fail(PhoneError("Invalid input: {errors}", errors=_errors(exc)), locale)
        except PhoneError as exc:
            return fail(exc, locale)
        result = await sandbox.customer_sends(customer, inbound)
        entry = state.inbound.get(result["wamid"])
        if entry is not None:
            entry["niaga_status"] = result["status"]
        state.changed.notify()
        return {"wamid": result["wamid"], "niaga_status": result["status"]}

    @router.post("/api/chats/{wa_id}/read")
    async def read(wa_id: str, request: Request, lang: str | None = None) -> Any:
        """The chat is on screen: the business's delivered messages are read now."""
        locale = _lang(lang)
        try:
            customer = customer_or_404(wa_id)
        except PhoneError as exc:
            return fail(exc, locale)
        read_now = []
        for sent in view(request, locale).unread(customer):
            wamid = sent["wamid"]
            state.mark_phone_read(wamid)
            if not sandbox.config.statuses_enabled or state.status_seen.get(wamid) == "read":
                continue
            status: dict[str, Any] = {
                "id": wamid,
                "recipient_id": sent["to"],
                "recipient_user_id": customer.user_id or bsuid_for(sent["to"]),
                "status": "read",
                "timestamp": str(int(time.time())),
            }
            if sent.get("biz_opaque_callback_data"):
                status["biz_opaque_callback_data"] = sent["biz_opaque_callback_data"]
            sandbox.webhooks.schedule_status(0, status)
            read_now.append(wamid)
        if read_now:
            state.changed.notify()
        return {"read": read_now}

    @router.get("/api/events")
    async def events(
        request: Request,
        chat: Annotated[str | None, Query(max_length=200)] = None,
        lang: str | None = None,
    ) -> StreamingResponse:
        """Server-Sent Events: ``chats`` (the list) and ``items`` (changed bubbles of ``chat``).

        Each stream first sends everything, then only what changed, and ends with
        ``reconnect`` after a while; a reconnecting page simply gets everything again.
        """
        locale = _lang(lang)
        return StreamingResponse(
            _stream(request, view(request, locale), chat),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def _stream(request: Request, phone: PhoneView, chat: str | None) -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        sent_chats = ""
        sent_items: dict[str, str] = {}
        started = time.monotonic()
        watching = chat if chat and chat in state.customers else None
        if watching:  # the phone on screen reads this chat; the sandbox must not read at random
            state.phone_watchers[watching] = state.phone_watchers.get(watching, 0) + 1
        try:
            async for chunk in _updates(request, phone, chat, started, sent_chats, sent_items):
                yield chunk
        finally:
            if watching:
                left = state.phone_watchers.get(watching, 1) - 1
                if left > 0:
                    state.phone_watchers[watching] = left
                else:
                    state.phone_watchers.pop(watching, None)

    async def _updates(
        request: Request,
        phone: PhoneView,
        chat: str | None,
        started: float,
        sent_chats: str,
        sent_items: dict[str, str],
    ) -> AsyncIterator[str]:
        while time.monotonic() - started < STREAM_SECONDS:
            chats = json.dumps(phone.chats(), ensure_ascii=False)
            if chats != sent_chats:
                sent_chats = chats
                yield f"event: chats\ndata: {chats}\n\n"
            customer = state.customers.get(chat) if chat else None
            if customer is not None:
                items = phone.chat(customer)
                changed = []
                for item in items:
                    encoded = json.dumps(item, ensure_ascii=False, sort_keys=True)
                    if sent_items.get(item["id"]) != encoded:
                        sent_items[item["id"]] = encoded
                        changed.append(item)
                gone = set(sent_items) - {i["id"] for i in items}
                for wamid in gone:
                    del sent_items[wamid]
                if changed or gone:
                    data = json.dumps(
                        {"items": changed, "removed": sorted(gone)}, ensure_ascii=False
                    )
                    yield f"event: items\ndata: {data}\n\n"
            if await request.is_disconnected():
                return
            if await state.changed.wait(RESCAN_SECONDS):
                await asyncio.sleep(0.05)  # let a burst of changes settle into one event
        yield "event: reconnect\ndata: {}\n\n"

    return router


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise PhoneError("The request body is not JSON.") from None


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )


def _inbound(data: PhoneMessage, phone: PhoneView, customer: Customer) -> InboundRequest:
    """Check what the page sent against what the business sent, and build the webhook."""
    kind = data.type
    if kind == "text":
        text = (data.text or "").strip()
        if not text:
            raise PhoneError("The message is empty.")
        if data.context_wamid:
            return InboundRequest(type="reply", text=text, context_wamid=data.context_wamid)
        return InboundRequest(type="text", text=text)
    if kind == "image":
        return _image(data)
    if kind == "location":
        if data.latitude is None and data.longitude is None:  # nothing chosen: Monas
            data = data.model_copy(
                update={k: getattr(data, k) or v for k, v in DEFAULT_LOCATION.items()}
            )
        if data.latitude is None or data.longitude is None:
            raise PhoneError("Give both latitude and longitude.")
        if not -90 <= data.latitude <= 90 or not -180 <= data.longitude <= 180:
            raise PhoneError("Latitude must be between -90 and 90, longitude between -180 and 180.")
        return InboundRequest(
            type="location",
            latitude=data.latitude,
            longitude=data.longitude,
            name=(data.name or "").strip() or None,
            address=(data.address or "").strip() or None,
        )
    if kind == "order":
        if not data.items:
            raise PhoneError("The cart is empty.")
        return InboundRequest(
            type="order",
            catalog_id=data.catalog_id,
            text=(data.text or "").strip() or None,
            items=[
                {
                    "product_retailer_id": i.product_retailer_id,
                    "quantity": i.quantity,
                    "item_price": SANDBOX_ITEM_PRICE,
                    "currency": "IDR",
                }
                for i in data.items
            ],
        )
    # A tap on a button or a list row of one of the business's messages.
    target = next((s for s in phone.sends(customer) if s["wamid"] == data.context_wamid), None)
    if target is None:
        raise PhoneError("That message is not in this chat.")
    item = phone.business_item(target)
    if kind == "list_reply":
        rows = [r for s in (item["list"] or {}).get("sections", []) for r in s["rows"]]
        row = next((r for r in rows if r["id"] == data.id), None)
        if row is None:
            raise PhoneError("That choice is not in the message.")
        return InboundRequest(
            type="list_reply",
            id=row["id"],
            title=row["title"],
            description=row.get("description"),
            context_wamid=target["wamid"],
        )
    wanted = "reply" if kind == "button_reply" else "quick_reply"
    button = next((b for b in item["buttons"] if b["kind"] == wanted and b["id"] == data.id), None)
    if button is None:
        raise PhoneError("That button is not in the message.")
    if kind == "button_reply":
        return InboundRequest(
            type="button_reply",
            id=button["id"],
            title=button["title"],
            context_wamid=target["wamid"],
        )
    return InboundRequest(
        type="template_button",
        title=button["title"],
        payload=button.get("payload") or button["title"],
        context_wamid=target["wamid"],
    )


def _image(data: PhoneMessage) -> InboundRequest:
    """A photo from the customer's device: JPEG, PNG or WebP up to 5 MB."""
    if data.mime_type not in IMAGE_MAGIC or not data.data_base64:
        raise PhoneError("Send a JPEG, PNG or WebP image.")
    try:
        raw = base64.b64decode(data.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise PhoneError("Send a JPEG, PNG or WebP image.") from None
    if not raw.startswith(IMAGE_MAGIC[data.mime_type]):
        raise PhoneError("Send a JPEG, PNG or WebP image.")
    if len(raw) > IMAGE_MAX_BYTES:
        raise PhoneError("The image is larger than 5 MB.")
    return InboundRequest(
        type="image",
        mime_type=data.mime_type,
        data_base64=data.data_base64,
        caption=(data.caption or "").strip() or None,
    )
