"""Every signed-in route, checked for who may use it (owner, admin, agent, analyst)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.web.test_inbox_pages import customer_writes
from tests.web.web_helpers import csrf, login, make_user

ROLES = ("owner", "admin", "agent", "analyst")
READ = {"owner", "admin", "agent", "analyst"}
WORK = {"owner", "admin", "agent"}
MANAGE = {"owner", "admin"}

# (method, path, body kind, body, roles allowed)
ROUTES: list[tuple[str, str, str, Any, set[str]]] = [
    ("GET", "/inbox", "", None, READ),
    ("GET", "/inbox/list", "", None, READ),
    ("GET", "/inbox/c/{c}", "", None, READ),
    ("GET", "/inbox/templates", "", None, READ),
    ("GET", "/inbox/quick-replies", "", None, READ),
    ("GET", "/settings/quick-replies", "", None, READ),
    ("POST", "/inbox/c/{c}/send", "json", {"message": {"type": "text", "body": "Halo"}}, WORK),
    ("POST", "/inbox/c/{c}/note", "json", {"body": "catatan"}, WORK),
    ("POST", "/inbox/c/{c}/status", "json", {"status": "pending"}, WORK),
    ("POST", "/inbox/c/{c}/assign", "json", {"user_id": None, "team_id": None}, WORK),
    ("POST", "/inbox/c/{c}/labels", "json", {"name": "VIP"}, WORK),
    ("POST", "/inbox/contacts/{contact}", "json", {"notes": "x"}, WORK),
    ("POST", "/settings/quick-replies", "form", {"shortcut": "x{role}", "body": "b"}, WORK),
    ("GET", "/settings/labels", "", None, MANAGE),
    ("POST", "/settings/labels", "form", {"name": "L {role}", "color": "#112233"}, MANAGE),
    ("GET", "/settings/teams", "", None, MANAGE),
    ("POST", "/settings/teams", "form", {"name": "Tim {role}"}, MANAGE),
    ("GET", "/settings/users", "", None, MANAGE),
    (
        "POST",
        "/settings/users/invite",
        "form",
        {"email": "new-{role}@toko.test", "name": "N", "role": "agent"},
        MANAGE,
    ),
]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_checks_the_role(niaga: LiveServer, factory: Any, role: str) -> None:
    make_user(factory, role)
    conv = customer_writes(niaga, factory)
    from niaga.inbox.models import Conversation

    with factory() as s:
        contact = s.get(Conversation, conv).contact_id
    client = login(niaga.url, f"{role}@toko.test")
    token = csrf(client)
    problems = []
    for method, path, kind, body, allowed in ROUTES:
        url = path.format(c=conv, contact=contact)
        kwargs: dict[str, Any] = {"follow_redirects": False}
        if kind == "json":
            kwargs["json"] = body
            kwargs["headers"] = {"X-CSRF-Token": token, "Accept": "application/json"}
        elif kind == "form":
            kwargs["data"] = {
                **{k: v.format(role=role) for k, v in body.items()},
                "csrf_token": token,
            }
        r = client.request(method, url, **kwargs)
        if role in allowed:
            ok = r.status_code in (200, 303) or (r.status_code == 404 and "labels" in url)
        else:
            ok = r.status_code == 403
        if not ok:
            problems.append((method, url, r.status_code))
    assert problems == []


def test_analyst_sees_no_composer(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "analyst")
    conv = customer_writes(niaga, factory)
    client = login(niaga.url, "analyst@toko.test")
    page = client.get(f"/inbox/c/{conv}").text
    assert 'id="composer-text"' not in page
    assert "tidak bisa membalas" in page
