"""A standalone sandbox on loopback and a webhook receiver that collects what it sends."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from niaga.channels.sandbox.app import create_standalone_app
from niaga.channels.sandbox.config import SandboxConfig
from niaga.channels.whatsapp.signature import verify
from tests.conftest import free_port
from tests.sandbox_client import CONTROL, SANDBOX_TOKEN

SECRET = "test-app-secret"
TOKEN = "test-token"
PNID = "106540352242922"
WABA = "102290129340398"


class Receiver:
    """Collects signed webhooks; can be told to fail the first N deliveries."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.raw: list[tuple[bytes, str | None]] = []
        self.bad_signatures = 0
        self.fail_next = 0
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> PlainTextResponse:
        body = await request.body()
        if not verify(body, request.headers.get("x-hub-signature-256"), SECRET):
            self.bad_signatures += 1
            return PlainTextResponse("bad signature", status_code=401)
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return PlainTextResponse("try later", status_code=500)
            self.payloads.append(json.loads(body))
            self.raw.append((body, request.headers.get("x-hub-signature-256")))
        return PlainTextResponse("ok")

    def statuses(self) -> list[dict[str, Any]]:
        return [
            s
            for p in list(self.payloads)
            for e in p["entry"]
            for c in e["changes"]
            for s in c["value"].get("statuses", [])
        ]

    def changes(self, field: str) -> list[dict[str, Any]]:
        return [
            c["value"]
            for p in list(self.payloads)
            for e in p["entry"]
            for c in e["changes"]
            if c["field"] == field
        ]

    def clear(self) -> None:
        with self.lock:
            self.payloads.clear()
            self.raw.clear()


def _serve(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return server


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    port = free_port()
    server = _serve(Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])]), port)
    yield receiver, f"http://127.0.0.1:{port}/hook"
    server.should_exit = True


@pytest.fixture(scope="session")
def sandbox_server(receiver_server: tuple[Receiver, str]) -> Iterator[str]:
    port = free_port()
    config = SandboxConfig(
        app_secret=SECRET,
        access_token=TOKEN,
        webhook_url=receiver_server[1],
        public_url=f"http://127.0.0.1:{port}",
        phone_number_id=PNID,
        waba_id=WABA,
        status_delays={"sent": 0.05, "delivered": 0.1, "read": 0.2},
        read_probability=1.0,
        template_review_seconds=0.1,
        webhook_retry_base=0.05,
        control_token=SANDBOX_TOKEN,
    )
    server = _serve(create_standalone_app(config), port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True


class Graph:
    """A plain HTTP client for the sandbox's Graph and control endpoints."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)
        self.http.headers.update(CONTROL)

    def send(self, body: dict[str, Any], token: str = TOKEN, pnid: str = PNID) -> httpx.Response:
        return self.http.post(
            f"/v23.0/{pnid}/messages", json=body, headers={"Authorization": f"Bearer {token}"}
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, headers={"Authorization": f"Bearer {TOKEN}"}, **kw)

    def control(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, f"/_control{path}", **kw)
        r.raise_for_status()
        return r.json()


@pytest.fixture
def graph(sandbox_server: str, receiver_server: tuple[Receiver, str]) -> Iterator[Graph]:
    g = Graph(sandbox_server)
    g.control("POST", "/reset")
    g.control(
        "PATCH",
        "/config",
        json={
            "status_delays": {"sent": 0.05, "delivered": 0.1, "read": 0.2},
            "read_probability": 1.0,
            "template_review_seconds": 0.1,
            "webhook_retry_base": 0.05,
        },
    )
    receiver_server[0].clear()
    receiver_server[0].fail_next = 0
    yield g


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, str]) -> Receiver:
    return receiver_server[0]
