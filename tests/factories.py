"""Small builders of Meta-shaped webhook payloads and helpers to post them signed."""

from __future__ import annotations

import json
from typing import Any

import httpx

from niaga.channels.whatsapp.signature import sign

WABA = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY = "6281100000000"


def envelope(value: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    """Wrap a change ``value`` in Meta's envelope."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": [{"value": value, "field": field}]}],
    }


def messages_value(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY, "phone_number_id": PHONE_NUMBER_ID},
    }
    if contacts is not None:
        value["contacts"] = contacts
    if messages is not None:
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return value


def text_message(
    wamid: str,
    wa_id: str = "6281234567890",
    body: str = "Halo kak",
    ts: int = 1764300000,
    name: str = "Siti Rahmawati",
    user_id: str | None = None,
) -> dict[str, Any]:
    """A whole webhook body with one inbound text message."""
    contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
    msg: dict[str, Any] = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(ts),
        "type": "text",
        "text": {"body": body},
    }
    if user_id:
        contact["user_id"] = user_id
        msg["from_user_id"] = user_id
    return envelope(messages_value(messages=[msg], contacts=[contact]))


def status(
    wamid: str,
    status_: str,
    ts: int = 1764300100,
    recipient: str = "6281234567890",
    errors: list[dict[str, Any]] | None = None,
    callback: str | None = None,
    pricing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A whole webhook body with one status."""
    st: dict[str, Any] = {
        "id": wamid,
        "status": status_,
        "timestamp": str(ts),
        "recipient_id": recipient,
    }
    if errors:
        st["errors"] = errors
    if callback:
        st["biz_opaque_callback_data"] = callback
    if pricing:
        st["pricing"] = pricing
    return envelope(messages_value(statuses=[st]))


def post_signed(
    base_url: str, payload: dict[str, Any] | bytes, secret: str, signature: str | None = None
) -> httpx.Response:
    """POST a webhook the way Meta does: raw bytes signed with the app secret."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"content-type": "application/json"}
    sig = sign(body, secret) if signature is None else signature
    if sig:
        headers["x-hub-signature-256"] = sig
    return httpx.post(f"{base_url}/webhooks/whatsapp", content=body, headers=headers, timeout=30)
