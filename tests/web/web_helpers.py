"""Signing in to the web UI over real HTTP, for page and role tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

from niaga.core.db import transaction
from niaga.security.users import do_create_user

PASSWORD = "rahasia-sekali-123"


def make_user(factory: Any, role: str, email: str | None = None, name: str | None = None) -> int:
    with transaction(factory) as s:
        user = do_create_user(
            s,
            email=email or f"{role}@toko.test",
            name=name or role.title(),
            password=PASSWORD,
            role=role,
        )
        return user.id


def login(base_url: str, email: str, password: str = PASSWORD) -> httpx.Client:
    """An httpx client signed in as ``email`` (follows the real login form)."""
    client = httpx.Client(base_url=base_url, timeout=30, headers={"Accept": "text/html"})
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/inbox"}
    )
    assert r.status_code == 303, r.text
    return client


def csrf(client: httpx.Client) -> str:
    page = client.get("/inbox")
    return re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text).group(1)


def act(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    """A JSON action as the inbox script sends it."""
    return client.post(
        path,
        json=body or {},
        headers={"X-CSRF-Token": csrf(client), "Accept": "application/json"},
    )
