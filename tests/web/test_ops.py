"""Operations over real HTTP: liveness and readiness, Prometheus metrics (who may read them,
what they count), request ids on responses and in JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from niaga.core import logs
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

PHONE = "6281234500088"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_liveness_readiness_and_health(niaga: LiveServer) -> None:
    live = httpx.get(f"{niaga.url}/livez")
    assert live.status_code == 200 and live.json()["status"] == "alive"
    ready = httpx.get(f"{niaga.url}/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"] == "ok" and checks["schema"] == "ok"
    assert checks["webhook_intake"] == "ok" and checks["worker"] == "ok"
    assert httpx.get(f"{niaga.url}/healthz").json()["status"] == "ok"


def test_metrics_count_requests_webhooks_sends_and_backlogs(
    niaga: LiveServer, factory: Any
) -> None:
    before = httpx.get(f"{niaga.url}/metrics").text
    for _ in range(3):
        httpx.get(f"{niaga.url}/livez")
    httpx.get(f"{niaga.url}/inbox/c/999999")  # a templated route (not signed in: 401)
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Dewi")
    sb.send(PHONE, type="text", text="Halo kak")
    bad = httpx.post(
        f"{niaga.url}/webhooks/whatsapp",
        content=b"{}",
        headers={"X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json"},
    )
    assert bad.status_code == 401
    # An agent's reply through the API goes out through the dispatcher.
    from tests.catalog.helpers import api, open_conversation, token

    conversation_id = open_conversation(niaga, factory, PHONE, "Dewi")
    r = api(
        niaga,
        "POST",
        f"/conversations/{conversation_id}/messages",
        token(factory, "agent"),
        json={"message": {"type": "text", "body": "Halo Dewi, ada yang bisa dibantu?"}},
    )
    assert r.status_code in (200, 201, 202), r.text
    wait_for(lambda: sb.messages(to=PHONE))

    def after() -> str:
        return httpx.get(f"{niaga.url}/metrics").text

    text = wait_for(
        lambda: (
            t
            if value(t := after(), "niaga_sends_total", result="sent", error_code="")
            > value(before, "niaga_sends_total", result="sent", error_code="")
            else None
        )
    )
    key = {"method": "GET", "route": "/livez", "status": "2xx"}
    assert (
        value(text, "niaga_http_requests_total", **key)
        - value(before, "niaga_http_requests_total", **key)
        >= 3
    )
    template = {"method": "GET", "route": "/inbox/c/{conversation_id}", "status": "4xx"}
    assert value(text, "niaga_http_requests_total", **template) >= 1
    assert all(
        "999999" not in dict(labels).get("route", "") for _name, labels in samples(text)
    )  # routes are templates, never raw paths
    accepted = value(text, "niaga_webhooks_received_total", result="accepted")
    assert accepted > value(before, "niaga_webhooks_received_total", result="accepted")
    assert value(text, "niaga_webhooks_received_total", result="bad_signature") >= 1
    assert any(
        dict(labels).get("route", "").startswith("/sandbox/{version}")
        for _n, labels in samples(text)
    )  # the sandbox's Graph routes under its prefix
    for queue in ("webhooks", "outbox", "jobs"):
        assert ("niaga_queue_depth", (("queue", queue),)) in samples(text)
        assert ("niaga_processing_lag_seconds", (("queue", queue),)) in samples(text)
    assert value(text, "niaga_http_request_duration_seconds_count", route="/livez") >= 3


def test_metrics_are_not_for_strangers(niaga: LiveServer) -> None:
    via_proxy = httpx.get(f"{niaga.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert via_proxy.status_code == 403
    settings = niaga.app.state.settings
    object.__setattr__(settings, "metrics_token", "rahasia-metrik-123")
    try:
        assert httpx.get(f"{niaga.url}/metrics").status_code == 403  # loopback needs it too
        wrong = httpx.get(f"{niaga.url}/metrics", headers={"Authorization": "Bearer salah"})
        assert wrong.status_code == 403
        ok = httpx.get(
            f"{niaga.url}/metrics",
            headers={"Authorization": "Bearer rahasia-metrik-123", "X-Forwarded-For": "1.2.3.4"},
        )
        assert ok.status_code == 200 and "niaga_queue_depth" in ok.text
    finally:
        object.__setattr__(settings, "metrics_token", "")


def test_every_response_carries_a_request_id(niaga: LiveServer) -> None:
    r = httpx.get(f"{niaga.url}/livez")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    given = httpx.get(f"{niaga.url}/login", headers={"X-Request-ID": "proxy-req-12345"})
    assert given.headers["x-request-id"] == "proxy-req-12345"
    odd = httpx.get(f"{niaga.url}/livez", headers={"X-Request-ID": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"


def test_json_log_lines_carry_the_request_id() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        logs.configure("info", "json", "web")
        stream = io.StringIO()
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        token = logs.request_id.set("abc-123-def")
        try:
            logging.getLogger("niaga.test").warning("pesan %s", "terkirim")
        finally:
            logs.request_id.reset(token)
        logging.getLogger("niaga.test").info("tanpa permintaan")
        first, second = (json.loads(line) for line in stream.getvalue().splitlines())
        assert first["message"] == "pesan terkirim" and first["request_id"] == "abc-123-def"
        assert first["level"] == "WARNING" and first["process"] == "web" and "time" in first
        assert second["request_id"] == "" and "request_tag" not in second
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
