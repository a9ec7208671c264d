"""What the sandbox phone (``/sandbox/phone``) shows: chats and bubbles as plain dicts.

The business's sends (Graph request bodies) and the customer's own messages (webhook
``messages[]`` items) become one *item* shape that the page's JavaScript draws as text nodes.
Nothing here returns HTML: every string stays data, so the page can never run what a customer
or the business typed.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date

from niaga.channels.sandbox.customers import SANDBOX_ITEM_PRICE
from niaga.channels.sandbox.state import Customer, SandboxState
from niaga.channels.sandbox.templates import ANY_PARAM
from niaga.core.i18n import format_idr, gettext

SIZES = {"xs", "s", "m", "l", "xl", "xxl", "xxxl"}
CHAT_LIMIT = 300  # messages of each side a chat shows (the latest)
CHATS_LIMIT = 200  # chats the list shows (the latest)
UNREAD_SCAN = 100  # sends per chat the unread badge looks at
VISIBLE = ("delivered", "read", "played")
DELIVERY_GRACE = 1.0  # seconds past the planned "delivered" before a send shows anyway
RASTER_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MEDIA_LABELS = {
    "image": "Photo",
    "video": "Video",
    "audio": "Audio",
    "voice": "Voice message",
    "document": "Document",
    "sticker": "Sticker",
}


class PhoneView:
    """Builds the phone's chat list and chat items from the sandbox state."""

    def __init__(
        self,
        state: SandboxState,
        *,
        delivered_delay: float,
        statuses_enabled: bool,
        media_base: str,
        locale: str = "id",
        tz: str = "Asia/Jakarta",
    ) -> None:
        self.state = state
        self.delivered_delay = delivered_delay
        self.statuses_enabled = statuses_enabled
        self.media_base = media_base
        self.locale = locale
        self.tz = ZoneInfo(tz)

    def _(self, message: str, **params: object) -> str:
        return gettext(message, self.locale, **params)

    # --- which sends reached the phone -------------------------------------------------

    def sends(self, customer: Customer, last: int | None = None) -> list[dict[str, Any]]:
        """The business's accepted sends to ``customer`` (by phone number or BSUID)."""
        rows = self.state.sent_to(customer.phone, last)
        if customer.user_id and customer.user_id != customer.phone:
            by_bsuid = self.state.sent_to(customer.user_id, last)
            if by_bsuid:
                rows = sorted(rows + by_bsuid, key=lambda r: r["seq"])
                rows = rows[-last:] if last else rows
        return rows

    def reached_phone(self, send: dict[str, Any], now: float | None = None) -> bool:
        """True once a send was delivered to the phone; failed sends never are.

        A send shows when its ``delivered`` (or ``read``) status went out, or, when statuses
        are off or dropped by a fault, a moment after it would have been delivered.
        """
        seen = self.state.status_seen.get(send["wamid"])
        if seen == "failed":
            return False
        if seen in VISIBLE:
            return True
        now = time.time() if now is None else now
        return now - send["received_at"] >= self.delivered_delay + DELIVERY_GRACE

    def unread(
        self, customer: Customer, now: float | None = None, last: int | None = CHAT_LIMIT
    ) -> list[dict[str, Any]]:
        """Sends that reached the phone and that the phone has not shown yet."""
        return [
            s
            for s in self.sends(customer, last)
            if s["wamid"] not in self.state.phone_read and self.reached_phone(s, now)
        ]

    # --- chats ---------------------------------------------------------------------------

    def chats(self, limit: int = CHATS_LIMIT) -> list[dict[str, Any]]:
        """Simulated customers with their last message and unread count, newest first.

        Only the last :data:`UNREAD_SCAN` sends of each chat are counted (the badge says 99+
        long before that), so the list costs the same however long the chats are.
        """
        now = time.time()
        out = []
        for customer in list(self.state.customers.values()):
            recent = self.sends(customer, UNREAD_SCAN)
            sends = [s for s in recent if self.reached_phone(s, now)]
            received = self.state.received_from(customer.phone, 1)
            last_send = sends[-1] if sends else None
            last_in = received[-1] if received else None
            preview, at = "", None
            if last_send and (last_in is None or last_send["received_at"] >= last_in[1]["at"]):
                preview, at = self.preview(self.business_item(last_send)), last_send["received_at"]
            elif last_in is not None:
                preview, at = self.preview(self.customer_item(*last_in)), last_in[1]["at"]
            out.append(
                {
                    "phone": customer.phone,
                    "e164": f"+{customer.phone}" if customer.phone.isdigit() else customer.phone,
                    "name": customer.name,
                    "preview": preview,
                    "at": at,
                    "time": self.clock(at) if at else "",
                    "unread": sum(1 for s in sends if s["wamid"] not in self.state.phone_read),
                }
            )
        out.sort(key=lambda c: (c["at"] or 0, c["name"]), reverse=True)
        return out[:limit]

    def chat(self, customer: Customer, limit: int = CHAT_LIMIT) -> list[dict[str, Any]]:
        """The latest of the chat with ``customer``, oldest first, with quotes and reactions."""
        now = time.time()
        sends = self.sends(customer, limit)
        items = [self.business_item(s) for s in sends if self.reached_phone(s, now)]
        items += [
            self.customer_item(w, e) for w, e in self.state.received_from(customer.phone, limit)
        ]
        items.sort(key=lambda i: i["at"])
        by_id = {i["id"]: i for i in items}
        shown: list[dict[str, Any]] = []
        for item in items:
            target = by_id.get(item.pop("target", None) or "")
            if item["kind"] == "reaction":
                if target is not None:
                    emoji = item["emoji"]
                    target["reactions"] = [
                        r for r in target["reactions"] if r["from"] != item["from"]
                    ]
                    if emoji:
                        target["reactions"].append({"from": item["from"], "emoji": emoji})
                continue
            if item["kind"] in ("edit", "revoke"):
                if target is not None:
                    target["edited" if item["kind"] == "edit" else "deleted"] = True
                    target["text"] = item["text"]
                    target["kind"] = "text"
                continue
            shown.append(item)
        self._customer_ticks(shown)
        for item in shown:
            quoted = by_id.get(item["quote"]["id"]) if item.get("quote") else None
            if quoted is not None:
                item["quote"].update({"from": quoted["from"], "text": self.preview(quoted)})
            item["day"] = self.day(item["at"])
        return shown[-limit:]

    def _customer_ticks(self, items: list[dict[str, Any]]) -> None:
        """Blue ticks: Niaga marks the latest message read, and with it every earlier one."""
        read = False
        for item in reversed(items):
            if item["from"] != "me":
                continue
            read = read or item["status"] == "read"
            if read:
                item["status"] = "read"

    # --- one bubble ----------------------------------------------------------------------

    def _item(self, wamid: str, who: str, at: float) -> dict[str, Any]:
        return {
            "id": wamid,
            "from": who,
            "at": at,
            "time": self.clock(at),
            "kind": "text",
            "text": None,
            "header": None,
            "footer": None,
            "media": None,
            "location": None,
            "buttons": [],
            "list": None,
            "products": [],
            "quote": None,
            "reactions": [],
            "forwarded": False,
        }

    def business_item(self, send: dict[str, Any]) -> dict[str, Any]:
        """A bubble for what the business sent (a Graph ``/messages`` request body)."""
        body: dict[str, Any] = send["body"]
        item = self._item(send["wamid"], "biz", send["received_at"])
        item["unread"] = send["wamid"] not in self.state.phone_read
        context = body.get("context") or {}
        if context.get("message_id"):
            item["quote"] = {"id": context["message_id"], "from": None, "text": ""}
        kind = send["type"]
        obj = body.get(kind)
        if kind == "text":
            item["text"] = obj["body"]
        elif kind in MEDIA_LABELS:
            item["kind"] = "media"
            item["media"] = self._media(kind, obj)
            item["text"] = obj.get("caption")
        elif kind == "location":
            item["kind"] = "location"
            item["location"] = self._location(obj)
        elif kind == "contacts":
            item["kind"] = "contacts"
            item["text"] = ", ".join(
                (c.get("name") or {}).get("formatted_name", "?") for c in obj or []
            )
        elif kind == "reaction":
            item["kind"] = "reaction"
            item["target"] = obj.get("message_id")
            item["emoji"] = obj.get("emoji", "")
        elif kind == "template":
            self._template(item, obj)
        elif kind == "interactive":
            self._interactive(item, obj)
        else:
            item["kind"] = "other"
            item["text"] = self._("Unsupported message")
        return item

    def customer_item(self, wamid: str, entry: dict[str, Any]) -> dict[str, Any]:
        """A bubble for what the customer sent (a webhook ``messages[]`` item)."""
        msg: dict[str, Any] = entry["message"]
        item = self._item(wamid, "me", entry["at"])
        delivered = entry.get("niaga_status", 200) == 200
        item["status"] = "read" if entry.get("read") else "delivered" if delivered else "sent"
        context = msg.get("context") or {}
        if context.get("id"):
            item["quote"] = {"id": context["id"], "from": None, "text": ""}
        item["forwarded"] = bool(context.get("forwarded") or context.get("frequently_forwarded"))
        kind = msg.get("type")
        obj = msg.get(kind) if isinstance(kind, str) else None
        if kind == "text":
            item["text"] = obj["body"]
        elif kind in MEDIA_LABELS:
            label = "voice" if kind == "audio" and obj.get("voice") else kind
            item["kind"] = "media"
            item["media"] = self._media(label, obj)
            item["text"] = obj.get("caption")
        elif kind == "location":
            item["kind"] = "location"
            item["location"] = self._location(obj)
        elif kind == "contacts":
            item["kind"] = "contacts"
            item["text"] = ", ".join(
                (c.get("name") or {}).get("formatted_name", "?") for c in obj or []
            )
        elif kind == "interactive":
            reply = obj.get(obj.get("type")) or {}
            item["text"] = reply.get("title") or reply.get("body") or ""
        elif kind == "button":
            item["text"] = obj.get("text", "")
        elif kind == "order":
            item["kind"] = "order"
            item["products"] = [
                self._product(p["product_retailer_id"], p.get("quantity"), p.get("item_price"))
                for p in obj.get("product_items", [])
            ]
            total = sum(
                int(p.get("item_price") or 0) * int(p["quantity"]) for p in obj["product_items"]
            )
            count = sum(int(p["quantity"]) for p in obj["product_items"])
            item["header"] = self._("{count} items · {total}", count=count, total=format_idr(total))
            item["text"] = obj.get("text")
        elif kind == "reaction":
            item["kind"] = "reaction"
            item["target"] = obj.get("message_id")
            item["emoji"] = obj.get("emoji", "")
        elif kind == "edit":
            item["kind"] = "edit"
            item["target"] = obj.get("original_message_id")
            item["text"] = ((obj.get("message") or {}).get("text") or {}).get("body", "")
        elif kind == "revoke":
            item["kind"] = "revoke"
            item["target"] = obj.get("original_message_id")
            item["text"] = self._("This message was deleted")
        elif kind == "system":
            item["kind"] = "system"
            item["text"] = obj.get("body", "")
        else:
            item["kind"] = "other"
            item["text"] = self._("Unsupported message")
        return item

    def preview(self, item: dict[str, Any]) -> str:
        """One line for the chat list or a quote."""
        kind = item["kind"]
        if kind == "media":
            label = self._(MEDIA_LABELS.get(item["media"]["type"], "Photo"))
            return f"{label}: {item['text']}" if item.get("text") else label
        if kind == "location":
            loc = item["location"]
            return "📍 " + (loc.get("name") or self._("Location"))
        if kind == "order":
            return "🛒 " + (item.get("header") or "")
        if kind == "products" and not item.get("text"):
            return "🛍 " + (item.get("header") or self._("Products"))
        return (item.get("text") or item.get("header") or "").split("\n")[0][:120]

    # --- pieces --------------------------------------------------------------------------

    def clock(self, at: float) -> str:
        """``14:05`` in the business's time zone."""
        return datetime.fromtimestamp(at, UTC).astimezone(self.tz).strftime("%H:%M")

    def day(self, at: float) -> str:
        """``Hari ini``, ``Kemarin`` or a date, in the business's time zone."""
        date = datetime.fromtimestamp(at, UTC).astimezone(self.tz).date()
        today = datetime.now(self.tz).date()
        if date == today:
            return self._("Today")
        if (today - date).days == 1:
            return self._("Yesterday")
        return format_date(date, "long", locale=self.locale)

    def _media(self, kind: str, obj: dict[str, Any] | None) -> dict[str, Any]:
        obj = obj or {}
        media = self.state.media.get(str(obj.get("id"))) if obj.get("id") else None
        url = None
        if media is not None and media.mime_type in RASTER_TYPES and kind in ("image", "sticker"):
            url = f"{self.media_base}/{media.id}"
        return {
            "type": kind,
            "label": self._(MEDIA_LABELS.get(kind, "Photo")),
            "url": url,
            "filename": obj.get("filename"),
            "link": obj.get("link"),
        }

    @staticmethod
    def _location(obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "latitude": obj.get("latitude"),
            "longitude": obj.get("longitude"),
            "name": obj.get("name"),
            "address": obj.get("address"),
        }

    def _product(
        self, retailer_id: str, quantity: int | None = None, price: Any = None
    ) -> dict[str, Any]:
        amount = int(price) if isinstance(price, int | float) else SANDBOX_ITEM_PRICE
        words = re.sub(r"[-_]+", " ", retailer_id).split()
        name = " ".join(w.upper() if w.lower() in SIZES else w.capitalize() for w in words)
        return {
            "id": retailer_id,
            "name": name or retailer_id,
            "price": amount,
            "price_text": format_idr(amount),
            "quantity": quantity,
        }

    def _interactive(self, item: dict[str, Any], obj: dict[str, Any]) -> None:
        itype = obj.get("type")
        header = obj.get("header") or {}
        if header.get("type") == "text":
            item["header"] = header.get("text")
        elif header.get("type") in MEDIA_LABELS:
            item["media"] = self._media(header["type"], header.get(header["type"]))
        item["text"] = (obj.get("body") or {}).get("text")
        item["footer"] = (obj.get("footer") or {}).get("text")
        action = obj.get("action") or {}
        if itype == "button":
            item["kind"] = "buttons"
            item["buttons"] = [
                {"kind": "reply", "id": b["reply"]["id"], "title": b["reply"]["title"]}
                for b in action.get("buttons", [])
            ]
        elif itype == "list":
            item["kind"] = "list"
            item["list"] = {
                "button": action.get("button"),
                "sections": [
                    {
                        "title": s.get("title"),
                        "rows": [
                            {
                                "id": r["id"],
                                "title": r["title"],
                                "description": r.get("description"),
                            }
                            for r in s.get("rows", [])
                        ],
                    }
                    for s in action.get("sections", [])
                ],
            }
        elif itype == "cta_url":
            params = action.get("parameters") or {}
            item["kind"] = "buttons"
            item["buttons"] = [
                {
                    "kind": "url",
                    "id": "",
                    "title": params.get("display_text"),
                    "url": params.get("url"),
                }
            ]
        elif itype == "location_request_message":
            item["kind"] = "buttons"
            item["buttons"] = [{"kind": "location", "id": "", "title": self._("Send location")}]
        elif itype in ("product", "product_list", "catalog_message"):
            item["kind"] = "products"
            item["catalog_id"] = action.get("catalog_id")
            item["cta"] = self._("View catalog" if itype == "catalog_message" else "View items")
            if itype == "product":
                item["products"] = [self._product(action.get("product_retailer_id", "?"))]
            elif itype == "product_list":
                item["products"] = [
                    {**self._product(p["product_retailer_id"]), "section": s.get("title")}
                    for s in action.get("sections", [])
                    for p in s.get("product_items", [])
                ]
            else:
                thumb = (action.get("parameters") or {}).get("thumbnail_product_retailer_id")
                item["products"] = [self._product(thumb)] if thumb else []
                item["header"] = item["header"] or self._("Catalog")
        elif itype == "flow":
            params = action.get("parameters") or {}
            item["kind"] = "buttons"
            item["buttons"] = [{"kind": "other", "id": "", "title": params.get("flow_cta", "")}]
        else:
            item["kind"] = "other"
            item["text"] = item["text"] or self._("Unsupported message")

    def _template(self, item: dict[str, Any], obj: dict[str, Any]) -> None:
        """A template with its parameters filled in, as the customer's phone shows it."""
        item["kind"] = "template"
        language = (obj.get("language") or {}).get("code", "")
        template = self.state.template(obj.get("name", ""), language)
        params: dict[str, list[dict[str, Any]]] = {}
        button_params: dict[int, list[dict[str, Any]]] = {}
        for comp in obj.get("components", []):
            ctype = str(comp.get("type", "")).lower()
            if ctype == "button":
                button_params[int(comp.get("index", 0))] = comp.get("parameters", [])
            else:
                params[ctype] = comp.get("parameters", [])
        if template is None:
            item["text"] = f"[{obj.get('name')}]"
            return
        for comp in template.components:
            ctype = str(comp.get("type", "")).upper()
            if ctype == "HEADER":
                if str(comp.get("format", "TEXT")).upper() == "TEXT":
                    item["header"] = _fill(comp.get("text", ""), params.get("header", []))
                else:
                    given = (params.get("header") or [{}])[0]
                    kind = str(given.get("type") or comp.get("format", "image")).lower()
                    if kind == "location":
                        item["location"] = self._location(given.get("location") or {})
                    else:
                        item["media"] = self._media(kind, given.get(kind))
            elif ctype == "BODY":
                item["text"] = _fill(comp.get("text", ""), params.get("body", []))
            elif ctype == "FOOTER":
                item["footer"] = comp.get("text")
            elif ctype == "BUTTONS":
                for index, button in enumerate(comp.get("buttons", [])):
                    item["buttons"].append(
                        self._template_button(index, button, button_params.get(index, []))
                    )

    @staticmethod
    def _template_button(
        index: int, button: dict[str, Any], params: list[dict[str, Any]]
    ) -> dict[str, Any]:
        btype = str(button.get("type", "")).upper()
        title = button.get("text", "")
        if btype == "QUICK_REPLY":
            payload = next((p.get("payload") for p in params if p.get("payload")), None)
            return {"kind": "quick_reply", "id": str(index), "title": title, "payload": payload}
        if btype == "URL":
            url = _fill(button.get("url", ""), params)
            return {"kind": "url", "id": str(index), "title": title, "url": url}
        return {"kind": "other", "id": str(index), "title": title}


def _param_text(param: dict[str, Any]) -> str:
    """The text a filled-in parameter shows (text, currency and date fallbacks, payloads)."""
    kind = param.get("type", "text")
    if kind == "text":
        return str(param.get("text", ""))
    value = param.get(kind)
    if isinstance(value, dict):
        return str(value.get("fallback_value") or value.get("code") or "")
    return str(value or "")


def _fill(text: str, params: list[dict[str, Any]]) -> str:
    """Put ``params`` into ``{{1}}`` / ``{{name}}`` placeholders (unknown ones stay)."""
    named = {p["parameter_name"]: _param_text(p) for p in params if p.get("parameter_name")}
    positional = [_param_text(p) for p in params]

    def one(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        if key.isdigit() and 0 < int(key) <= len(positional):
            return positional[int(key) - 1]
        return named.get(key, match.group(0))

    return ANY_PARAM.sub(one, text)
