"""Sign-in lockout per account and per address, session fixation, API token expiry and
revocation (in the app), and CSRF on every state-changing form of the app."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from niaga.core import clock
from niaga.core.db import transaction
from niaga.security.models import ApiToken
from niaga.security.tokens import do_create_token
from tests.conftest import LiveServer
from tests.web.web_helpers import PASSWORD, csrf, login, make_user


def try_login(base: str, email: str, password: str) -> httpx.Response:
    client = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=30)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_account_is_locked_after_five_failures_with_a_growing_delay(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    for _ in range(5):
        assert try_login(niaga.url, "agent@toko.test", "salah-tebak-123").status_code == 401
    locked = try_login(niaga.url, "agent@toko.test", PASSWORD)  # even the right password waits
    assert locked.status_code == 429 and "Terlalu banyak" in locked.text
    assert 1 <= int(locked.headers["retry-after"]) <= 31
    clock.advance(timedelta(seconds=31))
    assert try_login(niaga.url, "agent@toko.test", "salah-lagi-123").status_code == 401
    again = try_login(niaga.url, "agent@toko.test", PASSWORD)
    assert again.status_code == 429 and 31 < int(again.headers["retry-after"]) <= 61  # doubled
    clock.advance(timedelta(seconds=61))
    assert try_login(niaga.url, "agent@toko.test", PASSWORD).status_code == 303
    # Success forgets the account's failures: one more mistake is not locked.
    assert try_login(niaga.url, "agent@toko.test", "salah-sekali-1").status_code == 401
    assert try_login(niaga.url, "agent@toko.test", PASSWORD).status_code == 303


def test_one_address_guessing_many_accounts_is_locked(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    for i in range(20):
        r = try_login(niaga.url, f"tebak{i}@toko.test", "salah-tebak-123")
        assert r.status_code == 401
    r = try_login(niaga.url, "agent@toko.test", PASSWORD)
    assert r.status_code == 429


def test_signing_in_never_keeps_a_session_id_chosen_beforehand(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    client = httpx.Client(base_url=niaga.url, headers={"Accept": "text/html"}, timeout=30)
    client.cookies.set("niaga_session", "dipilih-penyerang-123")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        "/login", data={"email": "agent@toko.test", "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 303
    assert r.cookies["niaga_session"] != "dipilih-penyerang-123"
    fixed = httpx.Client(base_url=niaga.url, headers={"Accept": "text/html"})
    fixed.cookies.set("niaga_session", "dipilih-penyerang-123")
    assert fixed.get("/inbox").status_code == 303  # to the sign-in page


def test_tokens_expire_and_are_revoked_in_the_app(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    with transaction(factory) as s:
        _, short = do_create_token(s, name="pendek", role="agent", days=1)
    auth = {"Authorization": f"Bearer {short}"}
    assert httpx.get(niaga.url + "/api/v1/contacts", headers=auth).status_code == 200
    clock.advance(timedelta(days=1, seconds=1))
    assert httpx.get(niaga.url + "/api/v1/contacts", headers=auth).status_code == 401
    clock.reset()

    owner = login(niaga.url, "owner@toko.test")
    page = owner.post(
        "/settings/tokens",
        data={"name": "Zapier", "role": "agent", "days": "30", "csrf_token": csrf(owner)},
    )
    assert page.status_code == 200
    secret = re.search(r'id="new-token"|value="(nga_[^"]+)"', page.text)
    secret = re.search(r'value="(nga_[^"]+)"', page.text).group(1)
    zapier = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(niaga.url + "/api/v1/contacts", headers=zapier).status_code == 200
    listing = owner.get("/settings/tokens").text
    assert "Zapier" in listing and secret not in listing  # shown once, never again
    with factory() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.name == "Zapier")).one()
        assert row.expires_at is not None
    r = owner.post(f"/settings/tokens/{row.id}/revoke", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    assert httpx.get(niaga.url + "/api/v1/contacts", headers=zapier).status_code == 401
    make_user(factory, "agent")
    agent = login(niaga.url, "agent@toko.test")
    assert agent.get("/settings/tokens").status_code == 403
    bad = owner.post(
        "/settings/tokens",
        data={"name": "x", "role": "agent", "days": "99999", "csrf_token": csrf(owner)},
    )
    assert 400 <= bad.status_code < 500


def page_routes(app: Any) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, through included routers (with their prefixes)."""
    found: list[tuple[str, set[str]]] = []
    stack: list[tuple[str, Any]] = [("", r) for r in app.router.routes]
    while stack:
        prefix, route = stack.pop()
        inner = getattr(route, "original_router", None)
        if inner is not None:
            extra = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            stack.extend((prefix + extra, r) for r in inner.routes)
        elif hasattr(route, "path"):
            found.append((prefix + route.path, set(getattr(route, "methods", None) or ())))
    return found


SKIP_CSRF = {"/login", "/login/2fa", "/invite/{secret}"}  # before sign-in: own login-CSRF


@pytest.mark.parametrize("with_referer", [False, True])
def test_every_state_changing_page_route_refuses_a_missing_csrf_token(
    niaga: LiveServer, factory: Any, with_referer: bool
) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    checked = 0
    for path, methods in page_routes(niaga.app):
        if path.startswith(("/api/", "/webhooks", "/sandbox")) or path in SKIP_CSRF:
            continue
        for method in methods - {"GET", "HEAD", "OPTIONS"}:
            url = re.sub(r"\{[^}]+\}", "1", path)
            headers = {"Referer": niaga.url + "/inbox"} if with_referer else {}
            r = owner.request(method, url, data={"x": "1"}, headers=headers)
            assert r.status_code in (401, 403), (method, path, r.status_code)
            checked += 1
    assert checked >= 25, checked
