"""Every response carries the CSP and frame protection; foreign Host headers are refused."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer


@pytest.mark.parametrize("path", ["/login", "/katalog", "/healthz", "/api/v1/contacts"])
def test_security_headers_everywhere(niaga: LiveServer, path: str) -> None:
    r = httpx.get(niaga.url + path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(niaga: LiveServer) -> None:
    page = httpx.get(niaga.url + "/login").text
    assert "<script>" not in page and "onclick=" not in page and "onchange=" not in page


@pytest.mark.parametrize("host", ["evil.test", "evil.test:8000", "127.0.0.1.evil.test", ""])
def test_foreign_host_is_refused(niaga: LiveServer, host: str) -> None:
    r = httpx.get(niaga.url + "/login", headers={"Host": host})
    assert r.status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8000", "[::1]:8000"])
def test_loopback_hosts_are_served(niaga: LiveServer, host: str) -> None:
    assert httpx.get(niaga.url + "/healthz", headers={"Host": host}).status_code == 200
