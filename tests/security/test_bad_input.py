"""Bad input gets a clear 4xx problem document, never a 500, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from niaga.core.db import transaction
from niaga.security.tokens import do_create_token
from tests.conftest import LiveServer
from tests.web.web_helpers import login, make_user

HUGE = "99999999999999999999999"


def bearer(factory: Any, role: str = "owner") -> dict[str, str]:
    with transaction(factory) as s:
        _, secret = do_create_token(s, name=f"probe-{role}", role=role)
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(r: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    for key in ("type", "title", "status", "detail", "code"):
        assert key in body, body
    assert body["status"] == r.status_code
    return body


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/contacts/{HUGE}",
        f"/api/v1/conversations/{HUGE}",
        f"/api/v1/conversations/{HUGE}/messages",
        f"/api/v1/contacts?before_id={HUGE}",
        f"/api/v1/conversations?contact_id={HUGE}",
        f"/api/v1/catalog/products/{HUGE}",
        f"/api/v1/orders/{HUGE}",
        f"/api/v1/automation/rules/{HUGE}",
        "/api/v1/contacts/-99999999999999999999999",
    ],
)
def test_integers_beyond_64_bits_are_4xx(niaga: LiveServer, factory: Any, path: str) -> None:
    r = httpx.get(niaga.url + path, headers=bearer(factory))
    assert_problem(r, (404, 422))


def test_explicit_null_for_required_fields_is_422(niaga: LiveServer, factory: Any) -> None:
    auth = bearer(factory)
    for path, body in (
        ("/api/v1/catalog/products", {"sku": None, "name": None, "price": None}),
        ("/api/v1/automation/rules", {"name": None, "trigger": None, "actions": None}),
        ("/api/v1/orders", {"contact_id": None, "items": None}),
    ):
        r = httpx.post(niaga.url + path, json=body, headers=auth)
        assert_problem(r, 422)


def test_deeply_nested_rule_is_4xx(niaga: LiveServer, factory: Any) -> None:
    body = '{"name":"x","trigger":{"type":"message_received"},"actions":[],"conditions":[' + (
        "[" * 100_000 + "]" * 100_000 + "]}"
    )
    r = httpx.post(
        niaga.url + "/api/v1/automation/rules",
        content=body,
        headers={**bearer(factory), "content-type": "application/json"},
    )
    assert_problem(r, (400, 422))


@pytest.mark.parametrize("query", ["a\x00b", "x" * 20_000, "%00", "\ud800"])
def test_odd_search_queries_are_answered(niaga: LiveServer, factory: Any, query: str) -> None:
    make_user(factory, "agent")
    agent = login(niaga.url, "agent@toko.test")
    q = query.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    assert agent.get("/inbox", params={"q": q}).status_code < 500
    assert agent.get("/inbox/list", params={"q": q}).status_code < 500
    r = httpx.get(niaga.url + "/api/v1/catalog/products", params={"q": q}, headers=bearer(factory))
    assert r.status_code < 500
    assert httpx.get(niaga.url + "/katalog", params={"q": q}).status_code < 500


def test_nul_in_text_fields_is_4xx_or_stored(niaga: LiveServer, factory: Any) -> None:
    r = httpx.post(
        niaga.url + "/api/v1/catalog/products",
        json={"sku": "NUL-1", "name": "Gamis\x00Navy", "price": 1000},
        headers=bearer(factory),
    )
    assert r.status_code < 500


def test_problem_documents_are_one_shape_and_in_the_openapi(
    niaga: LiveServer, factory: Any
) -> None:
    r = httpx.get(niaga.url + "/api/v1/contacts", params={"phone": "abc"}, headers=bearer(factory))
    body = assert_problem(r, 422)
    assert body["code"] == "invalid_phone" and body["field"] == "phone"
    assert body["detail"] == "Nomor telepon tidak valid: abc" or "abc" in body["detail"]
    missing = httpx.get(niaga.url + "/api/v1/contacts/12345", headers=bearer(factory))
    assert assert_problem(missing, 404)["code"] == "not_found"
    no_token = httpx.get(niaga.url + "/api/v1/contacts")
    assert_problem(no_token, 401)
    invalid = httpx.get(niaga.url + "/api/v1/contacts?limit=0", headers=bearer(factory))
    assert assert_problem(invalid, 422)["code"] == "request_invalid"
    spec = httpx.get(niaga.url + "/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    op = spec["paths"]["/api/v1/contacts/{contact_id}"]["get"]
    assert "4XX" in op["responses"]


def test_page_forms_answer_bad_input_with_the_form_again(niaga: LiveServer, factory: Any) -> None:
    from tests.web.web_helpers import csrf

    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    token = csrf(owner)
    # The rules page keeps the draft and names the field.
    bad_json = owner.post(
        "/settings/rules", data={"rule_json": '{"name": "x",', "csrf_token": token}
    )
    assert bad_json.status_code == 422 and "JSON" in bad_json.text
    assert "{&#34;name&#34;: &#34;x&#34;," in bad_json.text or '"name": "x",' in bad_json.text
    bad_rule = owner.post(
        "/settings/rules",
        data={
            "rule_json": '{"name": "x", "trigger": {"type": "message_received"}, '
            '"actions": [{"type": "no_such_action"}]}',
            "csrf_token": token,
        },
    )
    assert bad_rule.status_code == 422 and "no_such_action" in bad_rule.text
    deep = owner.post(
        "/settings/rules", data={"rule_json": "[" * 100_000 + "]" * 100_000, "csrf_token": token}
    )
    assert deep.status_code == 422
    # Other forms go back to their page with the message.
    for path, data in (
        ("/settings/teams", {"name": " "}),
        ("/settings/users/invite", {"email": "bukan-email", "name": "X", "role": "agent"}),
        ("/settings/quick-replies", {"shortcut": "!!", "body": "x"}),
        ("/catalog/products", {"sku": "A-1", "name": "Gamis", "price": "99999999999999999999"}),
    ):
        r = owner.post(path, data={**data, "csrf_token": token})
        assert r.status_code in (303, 422), (path, r.status_code, r.text[:200])
        if r.status_code == 303:
            assert "flash=" in r.headers["location"], path
    members = owner.post(
        "/settings/teams/1/members", data={"user_ids": ["999999"], "csrf_token": token}
    )
    assert members.status_code < 500
    for path in ("/catalog/import", "/catalog/products/1/images"):
        r = owner.post(
            path,
            files={"file": ("x.csv", b"\xff\xfe\x00garbage,,,\n\x00", "text/csv")},
            data={"csrf_token": token},
        )
        assert r.status_code < 500, (path, r.status_code)


@pytest.mark.parametrize(
    "content",
    [
        b"sku,name,price\rA-1,Gamis,150000\r",  # old Mac line ends
        b'sku,name,price\nA-1,"Gamis\rNavy",150000\n',
        b'sku,name,price\nA-1,Gamis,150000\n"unterminated\n',
        b"sku,name,price\nA-1," + b"x" * 200_000 + b",1\n",  # beyond the csv field limit
        b"\x00\x01\x02",
        b"",
    ],
)
def test_odd_csv_files_are_answered_not_500(
    niaga: LiveServer, factory: Any, content: bytes
) -> None:
    r = httpx.post(
        niaga.url + "/api/v1/catalog/import",
        files={"file": ("produk.csv", content, "text/csv")},
        headers=bearer(factory),
    )
    assert r.status_code < 500, r.text[:300]
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
