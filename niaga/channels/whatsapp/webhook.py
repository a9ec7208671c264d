"""``GET/POST /webhooks/whatsapp``: verify, store durably, acknowledge (DESIGN.md §1 rule 2)."""

from __future__ import annotations

import hmac
import logging

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from niaga.channels.whatsapp.signature import verify

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024  # Meta sends at most 3 MB

router = APIRouter(tags=["webhooks"])


class _Envelope(msgspec.Struct):
    """The minimum a body must be to count as a webhook: ``object`` and a list ``entry``."""

    object: str
    entry: list[msgspec.Raw]


_envelope_decoder = msgspec.json.Decoder(_Envelope)


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
async def verify_subscription(request: Request) -> Response:
    """Meta's verification handshake: echo ``hub.challenge`` when the verify token matches."""
    params = request.query_params
    token = params.get("hub.verify_token", "")
    expected = request.app.state.settings.wa_verify_token
    if params.get("hub.mode") == "subscribe" and hmac.compare_digest(token, expected):
        return PlainTextResponse(params.get("hub.challenge", ""))
    return PlainTextResponse("verify token mismatch", status_code=403)


@router.post("/webhooks/whatsapp", response_class=PlainTextResponse)
async def receive(request: Request) -> Response:
    """Accept a signed event notification; 200 only once it is committed to disk."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return PlainTextResponse("payload too large", status_code=413)
    state = request.app.state
    if not verify(body, request.headers.get("x-hub-signature-256"), state.settings.wa_app_secret):
        return PlainTextResponse("invalid signature", status_code=401)
    try:
        _envelope_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        reason = f"not a webhook envelope: {exc}"
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        await state.webhook_writer.dead_letter(body, reason, headers)
        return PlainTextResponse(reason, status_code=400)
    await state.webhook_writer.store(body)
    return PlainTextResponse("EVENT_RECEIVED")
