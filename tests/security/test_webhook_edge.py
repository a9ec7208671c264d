"""What a stranger or a misconfigured Meta app can post to the webhook: odd bytes in the
signature and the verify token, deep nesting, another ``object``: a clear 4xx, nothing lost."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from tests.conftest import LiveServer
from tests.factories import post_signed, text_message
from tests.intake import intake_of


def _count(factory: Any, model: Any) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "signature", ["sha256=" + "é" * 64, "sha256=ü", "sha256=\u00ff\u00fe", "é"]
)
def test_non_ascii_signature_is_refused_not_500(
    niaga: LiveServer, factory: Any, signature: str
) -> None:
    body = json.dumps(text_message("wamid.ODD1")).encode()
    r = httpx.post(
        f"{niaga.url}/webhooks/whatsapp",
        content=body,
        headers={"content-type": "application/json", "x-hub-signature-256": signature.encode()},
    )
    assert r.status_code == 401
    assert _count(intake_of(factory), WebhookEvent) == 0


def test_non_ascii_verify_token_is_refused_not_500(niaga: LiveServer) -> None:
    r = httpx.get(
        f"{niaga.url}/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "tökén", "hub.challenge": "1"},
    )
    assert r.status_code == 403


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_signed_webhook_is_kept_as_dead_letter(
    niaga: LiveServer, factory: Any, depth: int
) -> None:
    body = b'{"object":"whatsapp_business_account","entry":[' + b"[" * depth + b"]" * depth + b"]}"
    r = post_signed(niaga.url, body, niaga.settings.wa_app_secret)
    assert r.status_code == 400 and "deep" in r.text
    with factory() as s:
        dead = s.scalars(select(DeadLetter)).one()
        assert bytes(dead.body) == body


def test_another_object_is_not_processed_as_whatsapp(niaga: LiveServer, factory: Any) -> None:
    payload = text_message("wamid.PAGE1")
    payload["object"] = "page"
    r = post_signed(niaga.url, payload, niaga.settings.wa_app_secret)
    assert r.status_code == 400 and "page" in r.text
    assert _count(intake_of(factory), WebhookEvent) == 0
    assert _count(factory, DeadLetter) == 1
