"""Hypothesis over the webhook parser and the signed webhook edge: any bytes, any JSON, any
nesting. The parser answers with items or :class:`WebhookPayloadError`, nothing else; the
edge answers 200 (stored) or a 4xx (dead letter), never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from niaga.channels.whatsapp.parse import WebhookPayloadError, parse_webhook
from tests.conftest import LiveServer
from tests.factories import post_signed

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


def _parses_or_refuses(body: bytes) -> None:
    try:
        parsed = parse_webhook(body)
    except WebhookPayloadError:
        return
    assert isinstance(parsed.items, tuple)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(body=st.binary(max_size=400))
def test_any_bytes(body: bytes) -> None:
    _parses_or_refuses(body)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(value=json_values, obj=st.sampled_from(["whatsapp_business_account", "page", ""]))
def test_any_json_in_any_place(value: Any, obj: str) -> None:
    for body in (
        value,
        {"object": obj, "entry": value},
        {"object": obj, "entry": [value]},
        {"object": obj, "entry": [{"id": "1", "changes": value}]},
        {"object": obj, "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]},
    ):
        _parses_or_refuses(json.dumps(body).encode())


@settings(max_examples=30, deadline=None, derandomize=True)
@given(depth=st.integers(min_value=1, max_value=200_000), bracket=st.sampled_from(["[", "{"]))
def test_any_nesting(depth: int, bracket: str) -> None:
    arrays = "[" * depth + "]" * depth
    inner = arrays if bracket == "[" else '{"a":' * depth + "1" + "}" * depth
    for body in (
        inner,
        '{"object":"whatsapp_business_account","entry":[' + inner + "]}",
        '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":'
        '"messages","value":{"messages":[' + inner + "]}}]}]}",
    ):
        _parses_or_refuses(body.encode())


def test_signed_webhooks_of_any_shape_are_never_a_server_error(
    niaga: LiveServer, factory: Any
) -> None:
    secret = niaga.settings.wa_app_secret

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(value=json_values, depth=st.integers(min_value=0, max_value=3000))
    def post(value: Any, depth: int) -> None:
        nested = "[" * depth + json.dumps(value) + "]" * depth
        body = (
            '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":'
            '"messages","value":' + nested + "}]}]}"
        ).encode()
        r = post_signed(niaga.url, body, secret)
        assert r.status_code in (200, 400), r.text

    post()
    r = httpx.get(f"{niaga.url}/healthz")
    assert r.status_code == 200
