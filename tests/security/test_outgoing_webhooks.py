"""Outgoing webhooks through the real jobs layer: delivered signed, retried, logged; internal
targets (SSRF) refused: loopback, private, link-local, metadata, names and numbers that
resolve to loopback, a redirect to one; allowed only by name."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.hosts import host_names
from niaga.outgoing_webhooks import signing
from niaga.outgoing_webhooks.models import WebhookDelivery
from niaga.outgoing_webhooks.service import do_schedule_delivery
from niaga.outgoing_webhooks.targets import RefusedTarget, check_url, is_public
from tests.conftest import LiveServer, wait_for
from tests.web.web_helpers import login, make_user


class Receiver:
    """A CRM on loopback: records each request; answers from a script of status codes."""

    def __init__(self, answers: list[int] | None = None, location: str | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answers = list(answers or [])
        outer = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.requests.append((dict(self.headers), body))
                code = outer.answers.pop(0) if outer.answers else 204
                self.send_response(code)
                if location and 300 <= code < 400:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def allow_loopback(niaga: LiveServer) -> Any:
    before = niaga.settings.webhook_allow_hosts
    niaga.settings.webhook_allow_hosts = "127.0.0.1"
    yield
    niaga.settings.webhook_allow_hosts = before


def schedule(factory: Any, url: str) -> int:
    with transaction(factory) as s:
        return do_schedule_delivery(
            s, rule_id=None, event="message_received", url=url, payload={"conversation_id": 7}
        ).id


def delivery(factory: Any, delivery_id: int) -> WebhookDelivery:
    with factory() as s:
        return s.get(WebhookDelivery, delivery_id)


def test_delivered_signed_and_logged(niaga: LiveServer, factory: Any, allow_loopback: Any) -> None:
    crm = Receiver()
    try:
        delivery_id = schedule(factory, crm.url)
        wait_for(lambda: delivery(factory, delivery_id).status == "delivered")
        headers, body = crm.requests[0]
        secret = signing.webhook_secret(niaga.settings.secret_key)
        assert signing.verify(secret, headers["X-Niaga-Signature"], body, int(time.time()))
        assert not signing.verify(
            secret, headers["X-Niaga-Signature"], body + b" ", int(time.time())
        )
        late = int(time.time()) + 301
        assert not signing.verify(secret, headers["X-Niaga-Signature"], body, late)
        data = json.loads(body)
        assert data["id"] == delivery_id and data["conversation_id"] == 7
        assert headers["X-Niaga-Event"] == "message_received"
        assert len(crm.requests) == 1  # once
    finally:
        crm.close()
    make_user(factory, "owner")
    page = login(niaga.url, "owner@toko.test").get("/settings/webhooks").text
    assert f'data-delivery="{delivery_id}" data-status="delivered"' in page
    assert signing.webhook_secret(niaga.settings.secret_key) in page


def test_a_failing_receiver_is_retried_until_it_answers(
    niaga: LiveServer, factory: Any, allow_loopback: Any
) -> None:
    crm = Receiver(answers=[500, 503])
    try:
        delivery_id = schedule(factory, crm.url)
        for expected in (1, 2):
            wait_for(lambda n=expected: delivery(factory, delivery_id).attempts == n)
            row = delivery(factory, delivery_id)
            assert row.status == "pending" and row.last_status_code in (500, 503)
            clock.advance(timedelta(minutes=5))  # past the backoff
        wait_for(lambda: delivery(factory, delivery_id).status == "delivered", timeout=20)
        assert len(crm.requests) == 3
    finally:
        crm.close()


def _own_name_address() -> str | None:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return None


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://localhost:{port}/hook",
        "http://2130706433:{port}/hook",  # 127.0.0.1 written as a number
        "http://0x7f.1:{port}/hook",
        "http://10.0.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://{hostname}:{port}/hook",  # this machine's own name
    ],
)
def test_internal_targets_are_refused_and_never_called(
    niaga: LiveServer, factory: Any, target: str
) -> None:
    crm = Receiver()
    try:
        url = target.format(port=crm.server.server_port, hostname=socket.gethostname())
        delivery_id = schedule(factory, url)
        wait_for(lambda: delivery(factory, delivery_id).status != "pending", timeout=15)
        row = delivery(factory, delivery_id)
        assert row.status == "refused", (url, row.status, row.last_error)
        assert crm.requests == []
    finally:
        crm.close()


def test_a_redirect_to_an_internal_address_is_not_followed(niaga: LiveServer, factory: Any) -> None:
    internal = Receiver()
    hop = Receiver(answers=[302] * 10, location=internal.url)
    hop_name = "localhost"
    niaga.settings.webhook_allow_hosts = hop_name  # the owner allows the first hop only
    try:
        url = hop.url.replace("127.0.0.1", hop_name)
        delivery_id = schedule(factory, url)
        wait_for(lambda: delivery(factory, delivery_id).attempts >= 1)
        row = delivery(factory, delivery_id)
        assert row.status == "pending" and row.last_status_code == 302
        assert internal.requests == [] and len(hop.requests) == 1
    finally:
        niaga.settings.webhook_allow_hosts = ""
        internal.close()
        hop.close()


def test_target_checks_without_a_lookup() -> None:
    allowed = host_names("erp.toko.lan, 10.0.0.5")
    assert check_url("https://erp.toko.lan/x", allowed) == "erp.toko.lan"
    assert check_url("http://10.0.0.5/x", allowed) == "10.0.0.5"
    for bad in (
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "http://metadata.google.internal/x",
        "http://10.0.0.6/x",
        "http://[fe80::1]/x",
        "http:///x",
    ):
        with pytest.raises(RefusedTarget):
            check_url(bad, allowed)
    assert is_public("93.184.216.34") and not is_public("100.64.0.1")
    assert not is_public("::ffff:10.0.0.1") and not is_public("ff02::1")
