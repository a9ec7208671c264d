"""The role matrix from the app's own route table: a new route is checked the day it exists.

Every ``/api/v1`` operation refuses a request without a token (401) and refuses an analyst's
token for anything that changes state (403); every page route outside the public set sends a
stranger to sign in (or refuses them). The per-role table of page routes is in
tests/web/test_roles.py, which fails when a page route is missing from it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from niaga.core.db import transaction
from niaga.security.tokens import do_create_token
from tests.conftest import LiveServer
from tests.security.test_accounts import page_routes

PUBLIC_PAGES = {
    "/login",
    "/login/2fa",  # between the password and the session (tests/security/test_two_factor.py)
    "/privasi",  # the privacy notice, for customers
    "/privacy",
    "/logout",
    "/invite/{secret}",
    "/",
    "/media/out/{name}",
    "/media/templates/{key}",  # a media header's example, fetched by Meta (tests/templates)
    "/healthz",
    "/livez",
    "/readyz",
    "/metrics",  # loopback callers or a bearer token only (tests/web/test_ops.py)
    "/l/{code}",  # a campaign recipient's tracked link (tests/campaigns)
}
# POSTed only because their input is a rule: they simulate, they change nothing.
# POSTs that only read (a body too rich for a query string): analysts may use them.
READ_ONLY_POSTS = {
    "/api/v1/automation/rules/dry-run",
    "/api/v1/automation/rules/{rule_id}/dry-run",
    "/api/v1/segments/count",
    "/api/v1/segments/preview",
}
SKIP_PREFIXES = ("/webhooks", "/sandbox", "/static", "/docs", "/redoc", "/katalog", "/openapi")


def _url(path: str) -> str:
    return re.sub(r"\{[^}:]+(:path)?\}", "1", path)


def test_every_api_operation_needs_a_token_and_analysts_change_nothing(
    niaga: LiveServer, factory: Any
) -> None:
    with transaction(factory) as s:
        _, analyst = do_create_token(s, name="analis", role="analyst")
    headers = {"Authorization": f"Bearer {analyst}"}
    problems = []
    checked = 0
    for path, methods in page_routes(niaga.app):
        if not path.startswith("/api/"):
            continue
        for method in methods - {"HEAD", "OPTIONS"}:
            url = niaga.url + _url(path)
            anonymous = httpx.request(method, url, json={})
            if anonymous.status_code != 401:
                problems.append(("no token", method, path, anonymous.status_code))
            if method != "GET" and path not in READ_ONLY_POSTS:
                r = httpx.request(method, url, json={}, headers=headers)
                if r.status_code != 403:
                    problems.append(("analyst", method, path, r.status_code))
            checked += 1
    assert problems == []
    assert checked >= 30, checked


def test_every_page_route_sends_strangers_to_sign_in(niaga: LiveServer) -> None:
    stranger = httpx.Client(base_url=niaga.url, headers={"Accept": "text/html"})
    problems = []
    for path, methods in page_routes(niaga.app):
        if path.startswith(("/api/", *SKIP_PREFIXES)) or path in PUBLIC_PAGES:
            continue
        for method in methods - {"HEAD", "OPTIONS"}:
            r = stranger.request(method, _url(path), data={"x": "1"})
            ok = r.status_code in (401, 403) or (
                r.status_code == 303 and r.headers["location"].startswith("/login")
            )
            if not ok:
                problems.append((method, path, r.status_code))
    assert problems == []
