"""Fault knobs, template status changes, the control API, and webhooks against Meta's schema."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from niaga.channels.sandbox import validation
from tests.channels.sandbox.conftest import PNID, TOKEN, WABA, Graph, Receiver
from tests.channels.sandbox.test_sandbox import CUSTOMER, INBOUND_TYPES, error_of, open_window
from tests.conftest import wait_for

WEBHOOK_SCHEMA = json.loads(
    (Path(validation.__file__).with_name("webhook_schema.json")).read_text(encoding="utf-8")
)


def text(to: str = CUSTOMER, **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": "Halo kak"},
        **extra,
    }


def hello(to: str = CUSTOMER) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "to": to,
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }


def statuses_of(receiver: Receiver, wamid: str) -> list[dict[str, Any]]:
    return [s for s in receiver.statuses() if s["id"] == wamid]


def test_timeout_holds_the_answer_but_still_processes(graph: Graph) -> None:
    open_window(graph)
    graph.control("PATCH", "/config", json={"timeout_rate": 1.0, "timeout_seconds": 0.6})
    with pytest.raises(httpx.ReadTimeout):
        graph.http.post(
            f"/v23.0/{PNID}/messages",
            json=text(),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=0.2,
        )
    # "Maybe delivered": the client gave up, but the sandbox accepted the message.
    assert wait_for(lambda: graph.control("GET", "/messages", params={"to": CUSTOMER})["count"])


def test_timeout_drop_variant_never_processes(graph: Graph) -> None:
    open_window(graph)
    graph.control("PATCH", "/config", json={"timeout_drop_rate": 1.0, "timeout_seconds": 0.3})
    started = time.monotonic()
    r = graph.send(text())
    assert time.monotonic() - started >= 0.3
    assert error_of(r) == (500, 131000)
    assert graph.control("GET", "/messages")["count"] == 0
    assert graph.control("GET", "/stats")["timeouts"] == 1


def test_latency_is_added(graph: Graph) -> None:
    graph.control("PATCH", "/config", json={"latency_ms": 250, "latency_jitter_ms": 50})
    started = time.monotonic()
    assert graph.send(hello()).status_code == 200
    assert time.monotonic() - started >= 0.25


def test_async_failure_is_accepted_then_failed(graph: Graph, receiver: Receiver) -> None:
    graph.control(
        "PATCH", "/config", json={"async_failure_rate": 1.0, "async_failure_code": 131049}
    )
    r = graph.send(hello())
    assert r.status_code == 200 and r.json()["messages"][0]["message_status"] == "accepted"
    wamid = r.json()["messages"][0]["id"]
    failed = wait_for(lambda: statuses_of(receiver, wamid))
    assert [s["status"] for s in failed] == ["failed"]
    error = failed[0]["errors"][0]
    assert error["code"] == 131049 and error["title"] and error["error_data"]["details"]
    time.sleep(0.3)
    assert len(statuses_of(receiver, wamid)) == 1  # failed is terminal: nothing after it


def test_dropped_webhooks_never_arrive(graph: Graph, receiver: Receiver) -> None:
    graph.control("PATCH", "/config", json={"webhook_drop_rate": 1.0})
    graph.control("POST", "/customers", json={"phone": CUSTOMER, "name": "Siti"})
    sent = graph.control("POST", f"/customers/{CUSTOMER}/send", json={"type": "text"})
    assert sent["status"] is None
    wamid = graph.send(hello()).json()["messages"][0]["id"]
    time.sleep(0.5)
    assert receiver.payloads == [] and statuses_of(receiver, wamid) == []
    assert graph.control("GET", "/stats")["webhooks_dropped"] >= 4  # inbound + 3 statuses


def test_not_on_whatsapp_list_is_configurable(graph: Graph, receiver: Receiver) -> None:
    graph.control(
        "PATCH",
        "/config",
        json={"not_on_whatsapp": ["6281299990001"], "not_on_whatsapp_suffix": ""},
    )
    wamid = graph.send(hello("6281299990001")).json()["messages"][0]["id"]
    ok = graph.send(hello("6281234560000")).json()["messages"][0]["id"]
    assert wait_for(lambda: statuses_of(receiver, wamid))[0]["errors"][0]["code"] == 131026
    assert wait_for(lambda: statuses_of(receiver, ok))[0]["status"] == "sent"


@pytest.mark.parametrize(("status", "code"), [("PAUSED", 132015), ("DISABLED", 132016)])
def test_paused_and_disabled_templates(
    graph: Graph, receiver: Receiver, status: str, code: int
) -> None:
    graph.control("PATCH", "/templates/hello_world", json={"status": status})
    assert error_of(graph.send(hello())) == (400, code)
    event = wait_for(lambda: receiver.changes("message_template_status_update"))[0]
    assert event["event"] == status and event["message_template_name"] == "hello_world"
    graph.control("PATCH", "/templates/hello_world", json={"status": "APPROVED"})
    assert graph.send(hello()).status_code == 200


def test_named_params_to_a_positional_template_is_132012(graph: Graph) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": CUSTOMER,
        "type": "template",
        "template": {
            "name": "konfirmasi_pesanan",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "parameter_name": n, "text": "x"} for n in ("a", "b", "c")
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": "0",
                    "parameters": [{"type": "text", "text": "INV-1"}],
                },
            ],
        },
    }
    assert error_of(graph.send(body)) == (400, 132012)


def test_schema_errors_name_the_field(graph: Graph) -> None:
    r = graph.send(text(text={"body": "x", "bold": True}))
    assert error_of(r) == (400, 100)
    assert "bold" in r.json()["error"]["error_data"]["details"]
    r = graph.send(text(type="location", location={"latitude": "x"}, text=None))
    assert r.status_code == 400


def test_any_graph_version_is_accepted(graph: Graph) -> None:
    for version in ("v19.0", "v23.0", "v26.0"):
        r = graph.http.post(
            f"/{version}/{PNID}/messages",
            json=hello(),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code == 200, version
    r = graph.http.post(
        f"/latest/{PNID}/messages", json=hello(), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert error_of(r) == (400, 100)


def test_wrong_token_everywhere_is_190(graph: Graph) -> None:
    bad = {"Authorization": "Bearer nope"}
    for r in (
        graph.http.get(f"/v23.0/{PNID}", headers=bad),
        graph.http.get(f"/v23.0/{WABA}/message_templates", headers=bad),
        graph.http.get(f"/v23.0/{PNID}/whatsapp_business_profile", headers=bad),
        graph.http.post(f"/v23.0/{PNID}/messages", json=hello()),
    ):
        assert error_of(r) == (401, 190)
        assert r.json()["error"]["type"] == "OAuthException"


def test_config_patch_is_validated(graph: Graph) -> None:
    r = graph.http.patch("/_control/config", json={"read_probability": 3})
    assert r.status_code == 422
    r = graph.http.patch("/_control/config", json={"no_such_knob": 1})
    assert r.status_code == 422
    cfg = graph.control("PATCH", "/config", json={"messages_per_second": 1000})
    assert cfg["messages_per_second"] == 1000


def test_messages_filters_and_counts(graph: Graph) -> None:
    open_window(graph)
    graph.send(hello())
    first = graph.control("GET", "/messages")["messages"][0]
    graph.send(text(biz_opaque_callback_data="campaign-7"))
    later = graph.control("GET", "/messages", params={"since_id": first["seq"]})
    assert later["count"] == 1 and later["messages"][0]["type"] == "text"
    tagged = graph.control("GET", "/messages", params={"callback_data": "campaign-7"})
    assert tagged["count"] == 1
    assert graph.control("GET", "/messages")["counts"] == {"template": 1, "text": 1}


def test_template_list_is_paginated_with_cursors(graph: Graph) -> None:
    page = graph.get(f"/v23.0/{WABA}/message_templates", params={"limit": 2}).json()
    assert len(page["data"]) == 2 and page["paging"]["cursors"]["after"]
    assert "next" in page["paging"]
    rest = graph.get(
        f"/v23.0/{WABA}/message_templates",
        params={"limit": 10, "after": page["paging"]["cursors"]["after"]},
    ).json()
    names = [t["name"] for t in page["data"] + rest["data"]]
    assert {"hello_world", "konfirmasi_pesanan", "status_pengiriman", "promo_bulanan"} <= set(names)
    assert len(names) == len(set(names))
    one = graph.get(f"/v23.0/{page['data'][0]['id']}").json()
    assert one["name"] == page["data"][0]["name"]


def test_delete_template(graph: Graph) -> None:
    r = graph.http.delete(
        f"/v23.0/{WABA}/message_templates",
        params={"name": "minta_rating"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.json() == {"success": True}
    assert (
        error_of(
            graph.send(hello() | {"template": {"name": "minta_rating", "language": {"code": "id"}}})
        )[1]
        == 132001
    )


# --- webhook payloads against the spec's WebhookPayload schema -------------------------


@pytest.fixture(scope="module")
def webhook_validator() -> Draft202012Validator:
    return Draft202012Validator(WEBHOOK_SCHEMA)


# Where the spec's WebhookPayload schema cannot describe Meta's real payloads (it reuses the
# outbound message schemas): those payloads follow FACTS.md §1.5 / the spec's own examples.
SPEC_GAPS = {
    "sticker": "spec's media oneOf rejects the inbound sha256/mime_type/animated keys",
    "location": "spec types latitude/longitude as strings; Meta sends numbers",
    "contacts": "spec reuses the outbound contacts schema",
    "changed_number": "spec's SystemMessage requires fields Meta omits",
    "unsupported": "spec's UnsupportedMessage predates unsupported.type",
    "flow_reply": "nfm_reply is missing from the spec's InteractiveMessageReply",
    "edit": "not in the spec (pywa fixtures)",
    "revoke": "not in the spec (pywa fixtures)",
}


@pytest.mark.parametrize("kind", [k for k in INBOUND_TYPES if k not in SPEC_GAPS])
def test_inbound_payloads_match_metas_schema(
    graph: Graph, webhook_validator: Draft202012Validator, kind: str
) -> None:
    graph.control("POST", "/customers", json={"phone": CUSTOMER, "name": "Siti"})
    sent = graph.control("POST", f"/customers/{CUSTOMER}/send", json={"type": kind})
    payload = sent["payload"]
    errors = [e.message[:200] for e in webhook_validator.iter_errors(payload)]
    assert not errors, errors
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["metadata"] == {"display_phone_number": "6281100000000", "phone_number_id": PNID}
    assert value["messages"][0]["id"] == sent["wamid"]


def test_status_payloads_match_metas_schema(
    graph: Graph, receiver: Receiver, webhook_validator: Draft202012Validator
) -> None:
    open_window(graph)
    wamid = graph.send(text()).json()["messages"][0]["id"]
    failed = graph.send(hello("6281234560000")).json()["messages"][0]["id"]
    wait_for(lambda: len(statuses_of(receiver, wamid)) == 3 and statuses_of(receiver, failed))
    for payload in list(receiver.payloads):
        errors = [e.message[:200] for e in webhook_validator.iter_errors(payload)]
        assert not errors, (payload, errors)


def test_username_customer_comes_without_phone(graph: Graph) -> None:
    made = graph.control(
        "POST",
        "/customers",
        json={"phone": CUSTOMER, "name": "Siti", "username": "siti.hijab"},
    )
    assert made["user_id"].startswith("ID.") and len(made["user_id"]) == 22
    sent = graph.control("POST", f"/customers/{CUSTOMER}/send", json={"type": "text"})
    value = sent["payload"]["entry"][0]["changes"][0]["value"]
    assert value["contacts"] == [
        {"profile": {"name": "Siti", "username": "siti.hijab"}, "user_id": made["user_id"]}
    ]
    message = value["messages"][0]
    assert "from" not in message and message["from_user_id"] == made["user_id"]
    # The business can answer by BSUID; the window is open for that user.
    r = graph.send(text(to=made["user_id"]))
    assert r.status_code == 200 and r.json()["contacts"][0]["wa_id"] == made["user_id"]


def test_utility_template_in_window_is_free_and_pricing_rides_on_read(
    graph: Graph, receiver: Receiver
) -> None:
    open_window(graph)
    body = {
        "messaging_product": "whatsapp",
        "to": CUSTOMER,
        "type": "template",
        "template": {
            "name": "status_pengiriman",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "parameter_name": n, "text": v}
                        for n, v in (("nama", "Siti"), ("nomor_pesanan", "INV-7"), ("kurir", "JNE"))
                    ],
                }
            ],
        },
    }
    wamid = graph.send(body).json()["messages"][0]["id"]
    got = wait_for(lambda: len(statuses_of(receiver, wamid)) == 3 and statuses_of(receiver, wamid))
    by = {s["status"]: s for s in got}
    assert by["sent"]["pricing"]["type"] == "free_customer_service"
    assert by["sent"]["pricing"]["category"] == "utility"
    assert "pricing" in by["read"] and "pricing" not in by["delivered"]
    assert by["sent"]["conversation"]["origin"]["type"] == "utility"
