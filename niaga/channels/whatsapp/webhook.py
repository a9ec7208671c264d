"""``GET/POST /webhooks/whatsapp``: verify, store durably, acknowledge (DESIGN.md §1 rule 2).

The POST is Niaga's hottest path (Meta sends about three status webhooks per outgoing
message), so it is served by a small pure-ASGI middleware in front of FastAPI's routing; the
FastAPI route below documents it in OpenAPI and runs the same :func:`accept_webhook` when the
middleware is not installed. Measured on this 2-core machine, routing through FastAPI costs
about a third of the throughput.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niaga.channels.whatsapp.signature import verify
from niaga.core import metrics
from niaga.core.tokens import tokens_equal

log = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp"
MAX_BODY_BYTES = 10 * 1024 * 1024  # Meta sends at most 3 MB
WHATSAPP_OBJECT = "whatsapp_business_account"

router = APIRouter(tags=["webhooks"])


class _Envelope(msgspec.Struct):
    """The minimum a body must be to count as a webhook: ``object`` and a list ``entry``."""

    object: str
    entry: list[msgspec.Raw]


_envelope_decoder = msgspec.json.Decoder(_Envelope)


async def accept_webhook(
    state: Any, body: bytes, signature: str | None, headers: Callable[[], dict[str, str]]
) -> tuple[int, str]:
    """Verify, then store durably; returns the HTTP status and text to answer Meta with.

    401: bad or missing signature, nothing stored. 400: signed but not a WhatsApp webhook
    envelope (malformed, nested too deeply, another ``object``), kept in ``dead_letters``.
    200: committed to ``webhook_events``.
    """
    if len(body) > MAX_BODY_BYTES:
        return 413, "payload too large"
    if not verify(body, signature, state.settings.wa_app_secret):
        return 401, "invalid signature"
    reason = None
    try:
        envelope = _envelope_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        reason = f"not a webhook envelope: {exc}"
    except RecursionError:
        reason = "not a webhook envelope: nested too deeply"
    else:
        if envelope.object != WHATSAPP_OBJECT:
            reason = f"not a WhatsApp webhook: object is {envelope.object[:80]!r}"
    if reason is not None:
        kept = {k: v for k, v in headers().items() if k.lower() not in ("authorization", "cookie")}
        await state.webhook_writer.dead_letter(body, reason, kept)
        return 400, reason
    await state.webhook_writer.store(body)
    return 200, "EVENT_RECEIVED"


@router.get(PATH, response_class=PlainTextResponse)
async def verify_subscription(request: Request) -> Response:
    """Meta's verification handshake: echo ``hub.challenge`` when the verify token matches."""
    params = request.query_params
    token = params.get("hub.verify_token", "")
    expected = request.app.state.settings.wa_verify_token
    if params.get("hub.mode") == "subscribe" and tokens_equal(token, expected):
        return PlainTextResponse(params.get("hub.challenge", ""))
    return PlainTextResponse("verify token mismatch", status_code=403)


@router.post(PATH, response_class=PlainTextResponse)
async def receive(request: Request) -> Response:
    """Accept a signed event notification; 200 only once it is committed to disk."""
    body = await request.body()
    status, text = await accept_webhook(
        request.app.state,
        body,
        request.headers.get("x-hub-signature-256"),
        lambda: dict(request.headers),
    )
    metrics.count_webhook(status)
    return PlainTextResponse(text, status_code=status)


class WebhookFastPath:
    """Pure-ASGI wrapper answering ``POST /webhooks/whatsapp`` before FastAPI's middleware."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message: Message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY_BYTES:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
        signature = next(
            (v.decode("latin-1") for k, v in raw_headers if k == b"x-hub-signature-256"), None
        )
        if size > MAX_BODY_BYTES:
            status, text = 413, "payload too large"
        else:
            status, text = await accept_webhook(
                self.state,
                b"".join(chunks),
                signature,
                lambda: {k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers},
            )
        metrics.count_webhook(status)
        payload = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
