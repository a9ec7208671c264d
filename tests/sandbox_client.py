"""A tiny client for the sandbox's control API, used by tests."""

from __future__ import annotations

from typing import Any

import httpx

# The control token every test server is started with (tests/conftest.py make_settings).
SANDBOX_TOKEN = "test-sandbox-control-token"
CONTROL = {"X-Sandbox-Token": SANDBOX_TOKEN}


class SandboxControl:
    """Drives simulated customers and faults in the sandbox mounted at ``base``."""

    def __init__(self, niaga_url: str) -> None:
        self.base = f"{niaga_url}/sandbox/_control"

    def _req(self, method: str, path: str, **kwargs: Any) -> Any:
        r = httpx.request(method, f"{self.base}{path}", timeout=30, headers=CONTROL, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def reset(self) -> None:
        self._req("POST", "/reset")

    def configure(self, **knobs: Any) -> Any:
        return self._req("PATCH", "/config", json=knobs)

    def config(self) -> Any:
        return self._req("GET", "/config")

    def customer(self, phone: str, name: str, **extra: Any) -> Any:
        return self._req("POST", "/customers", json={"phone": phone, "name": name, **extra})

    def send(self, phone: str, **message: Any) -> Any:
        """Make the customer ``phone`` send an inbound message; returns its wamid etc."""
        return self._req("POST", f"/customers/{phone}/send", json=message)

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        """Every send the sandbox accepted (optionally filtered)."""
        data = self._req("GET", "/messages", params=filters)
        return data["messages"] if isinstance(data, dict) else data

    def stats(self) -> Any:
        return self._req("GET", "/stats")

    def webhooks(self) -> Any:
        return self._req("GET", "/webhooks")
