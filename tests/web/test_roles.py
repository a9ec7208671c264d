"""Every signed-in route, checked for who may use it (owner, admin, agent, analyst)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from niaga.security.models import User
from tests.conftest import LiveServer
from tests.web.test_inbox_pages import customer_writes
from tests.web.web_helpers import csrf, login, make_user

ROLES = ("owner", "admin", "agent", "analyst")
READ = {"owner", "admin", "agent", "analyst"}
WORK = {"owner", "admin", "agent"}
MANAGE = {"owner", "admin"}
REPORTS = {"owner", "admin", "analyst"}

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
    ("GET", "/settings", "", None, READ),
    ("GET", "/inbox/c/{c}/older?before=999999", "", None, READ),
    ("POST", "/inbox/c/{c}/read", "json", {}, READ),
    ("POST", "/inbox/presence", "json", {"conversation_id": None}, READ),
    ("POST", "/inbox/templates/sync", "json", {}, WORK),
    ("POST", "/settings/users/{me}", "form", {"role": "{role}", "active": "on"}, MANAGE),
    ("POST", "/settings/teams/999/members", "form", {}, MANAGE),
    ("POST", "/settings/labels/999/delete", "form", {}, MANAGE),
    ("POST", "/settings/quick-replies/999/delete", "form", {}, WORK),
    ("POST", "/settings/invites/999/revoke", "form", {}, MANAGE),
    ("GET", "/settings/tokens", "", None, MANAGE),
    ("GET", "/settings/webhooks", "", None, MANAGE),
    ("POST", "/settings/tokens", "form", {"name": "t-{role}", "role": "analyst"}, MANAGE),
    ("POST", "/settings/tokens/999/revoke", "form", {}, MANAGE),
    ("GET", "/settings/audit?kind=auth", "", None, MANAGE),
    ("GET", "/me/security", "", None, READ),
    ("GET", "/settings/privacy", "", None, MANAGE),
    ("GET", "/settings/incidents", "", None, {"owner"}),
    (
        "POST",
        "/settings/incidents",
        "form",
        {"title": "Uji {role}", "first": "2026-01-01"},
        {"owner"},
    ),
    ("GET", "/settings/incidents/999", "", None, {"owner"}),
    ("POST", "/settings/incidents/999/drafts", "form", {}, {"owner"}),
    ("POST", "/settings/incidents/999/contain", "form", {}, {"owner"}),
    ("GET", "/settings/incidents/999/affected.csv", "", None, {"owner"}),
    ("POST", "/settings/privacy/retention", "form", {"raw_webhook_days": "30"}, MANAGE),
    ("POST", "/settings/privacy/notice", "form", {"body_id": ""}, MANAGE),
    ("GET", "/inbox/contacts/{contact}/personal-data", "", None, MANAGE),
    ("POST", "/inbox/contacts/{contact}/erase", "form", {"confirm": "tidak"}, MANAGE),
    ("POST", "/me/2fa/start", "form", {}, READ),
    ("POST", "/me/devices/999/forget", "form", {}, READ),
    ("POST", "/me/sessions/999/end", "form", {}, READ),
    ("POST", "/me/sessions/end-others", "form", {}, READ),
    ("GET", "/settings/security", "", None, {"owner"}),
    (
        "POST",
        "/settings/security",
        "form",
        {
            "require_2fa": "off",
            "remember_days": "30",
            "idle_minutes": "600",
            "absolute_hours": "72",
        },
        {"owner"},
    ),
    ("GET", "/settings/audit.csv", "", None, MANAGE),
    ("POST", "/settings/audit/verify", "form", {}, MANAGE),
    ("POST", "/settings/audit/alerts/999/ack", "form", {}, MANAGE),
    ("GET", "/catalog", "", None, MANAGE),
    ("GET", "/catalog/export.csv", "", None, MANAGE),
    ("POST", "/catalog/meta-sync", "form", {}, MANAGE),
    (
        "POST",
        "/catalog/products",
        "form",
        {"sku": "SKU-{role}", "name": "Gamis", "price": "Rp150.000"},
        MANAGE,
    ),
    ("GET", "/orders", "", None, READ),
    ("POST", "/orders/999/status", "form", {"status": "dikonfirmasi"}, WORK),
    ("GET", "/settings/rules", "", None, READ),
    ("GET", "/settings/shop", "", None, MANAGE),
    ("GET", "/settings/status", "", None, MANAGE),
    ("POST", "/settings/templates/own/submit", "form", {}, MANAGE),
    ("POST", "/settings/status/subscribe", "form", {}, MANAGE),
    ("POST", "/settings/shop/profile", "form", {"name": "Toko {role}"}, MANAGE),
    ("POST", "/settings/shop/hours", "form", {"hours_mon": "08:00-17:00"}, MANAGE),
    ("POST", "/settings/shop/away", "form", {"away": "false"}, MANAGE),
    ("POST", "/settings/shop/holidays", "form", {"day": "2030-01-02"}, MANAGE),
    ("POST", "/settings/shop/holidays/national", "form", {"year": "2030"}, MANAGE),
    ("POST", "/settings/shop/texts", "form", {"greeting_text": ""}, MANAGE),
    ("POST", "/settings/shop/orders", "form", {"delivery_days": "3"}, MANAGE),
    ("POST", "/settings/shop/preview", "json", {}, MANAGE),
    ("GET", "/settings/templates", "", None, READ),
    ("GET", "/settings/links", "", None, READ),
    ("GET", "/campaigns", "", None, READ),
    ("GET", "/campaigns/segments", "", None, READ),
    (
        "POST",
        "/campaigns/segments",
        "json",
        {"name": "S {role}", "rule": {"conditions": []}},
        MANAGE,
    ),
    ("POST", "/campaigns/segments/999/delete", "form", {}, MANAGE),
    ("GET", "/campaigns/999", "", None, READ),
    ("GET", "/campaigns/999/estimate", "", None, READ),
    (
        "POST",
        "/campaigns/drafts?ref=999",
        "json",
        {"id": 999, "name": "x", "template_id": 1, "rule": {"conditions": []}},
        MANAGE,
    ),
    ("POST", "/campaigns/999/schedule", "json", {}, MANAGE),
    ("POST", "/campaigns/999/pause", "form", {}, MANAGE),
    ("POST", "/campaigns/999/resume", "form", {}, MANAGE),
    ("POST", "/campaigns/999/cancel", "form", {}, MANAGE),
    ("GET", "/analytics", "", None, REPORTS),
    ("GET", "/analytics/report.xlsx", "", None, REPORTS),
    ("GET", "/analytics/report.csv", "", None, REPORTS),
    ("GET", "/analytics/report.pdf", "", None, REPORTS),
    ("GET", "/analytics/report.html", "", None, REPORTS),
    (
        "GET",
        "/analytics/export.csv?kind=orders&first=2026-11-01&last=2026-11-30",
        "",
        None,
        REPORTS,
    ),
    (
        "GET",
        "/analytics/export.xlsx?kind=orders&first=2026-11-01&last=2026-11-30",
        "",
        None,
        REPORTS,
    ),
    (
        "POST",
        "/analytics/costs",
        "form",
        {"spent_on": "2026-11-02", "kind": "ads", "amount": "1000"},
        MANAGE,
    ),
    ("POST", "/analytics/costs/999/delete", "form", {}, MANAGE),
    ("GET", "/analytics/goals/999/behind", "", None, REPORTS),
    (
        "POST",
        "/analytics/goals",
        "form",
        {"name": "Bayar", "kind": "phrase", "phrases": "lunas"},
        MANAGE,
    ),
    ("POST", "/analytics/goals/999/delete", "form", {}, MANAGE),
    ("POST", "/analytics/bands", "form", {"open_rate.good": "75", "open_rate.poor": "20"}, MANAGE),
    ("POST", "/campaigns/999/send-winner", "form", {}, MANAGE),
    ("POST", "/campaigns/999/retarget", "form", {"outcome": "not_read"}, MANAGE),
    (
        "POST",
        "/settings/links",
        "form",
        {"name": "L {role}", "place": "poster", "text": "Hi"},
        MANAGE,
    ),
    ("GET", "/settings/links/999/qr.svg", "", None, READ),
    ("GET", "/settings/links/999/qr.png", "", None, READ),
    (
        "POST",
        "/settings/templates/check",
        "json",
        {"name": "x", "language": "id", "body": "Hai"},
        MANAGE,
    ),
    (
        "POST",
        "/settings/templates/drafts",
        "json",
        {"definition": {"name": "draf_{role}", "language": "id", "body": "Halo kak"}},
        MANAGE,
    ),
    ("POST", "/settings/templates/999/submit", "json", {}, MANAGE),
    ("POST", "/settings/templates/samples", "upload", {"kind": "image"}, MANAGE),
    (
        "POST",
        "/settings/templates/999/edit",
        "json",
        {"name": "info", "language": "id", "body": "Halo kak"},
        MANAGE,
    ),
    ("GET", "/settings/rules/999", "", None, MANAGE),
    (
        "POST",
        "/settings/rules",
        "form",
        {"name": "R {role}", "keywords": "ukuran", "reply": "Panduan ukuran"},
        MANAGE,
    ),
    ("POST", "/settings/rules/999/enabled", "form", {}, MANAGE),
    ("POST", "/settings/rules/999/delete", "form", {}, MANAGE),
    ("GET", "/loyalty", "", None, MANAGE),
    ("POST", "/loyalty/program", "form", {"enabled": "on", "tier_0_name": "Perunggu"}, MANAGE),
    (
        "POST",
        "/loyalty/rewards",
        "form",
        {"name": "R {role}", "kind": "gift", "cost_points": "9"},
        MANAGE,
    ),
    ("POST", "/loyalty/rewards/999", "form", {"stock": "1"}, MANAGE),
    ("POST", "/loyalty/rewards/999/announce", "form", {}, MANAGE),
    ("POST", "/orders/999/reward-code", "form", {"code": "NG-AAAA-BBBB"}, WORK),
    ("GET", "/community", "", None, MANAGE),
    ("POST", "/community/groups/loyal", "form", {}, MANAGE),
    ("POST", "/community/groups/999", "form", {"name": "G {role}"}, MANAGE),
    ("POST", "/community/groups/999/members", "form", {"phone": "081234567890"}, MANAGE),
    ("POST", "/community/groups/999/whatsapp", "form", {}, MANAGE),
    ("POST", "/community/groups/999/members/{contact}/remove", "form", {}, MANAGE),
    (
        "POST",
        "/community/polls",
        "form",
        {"question": "Suka yang mana?", "options": "A\nB"},
        MANAGE,
    ),
    ("POST", "/community/polls/999/submit", "form", {}, MANAGE),
    ("POST", "/community/polls/999/close", "form", {}, MANAGE),
    ("POST", "/community/polls/999/send", "form", {"group_id": "1"}, MANAGE),
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
    with factory() as s:
        me = s.scalars(select(User.id).where(User.email == f"{role}@toko.test")).one()
    client = login(niaga.url, f"{role}@toko.test")
    token = csrf(client)
    problems = []
    for method, path, kind, body, allowed in ROUTES:
        url = path.format(c=conv, contact=contact, me=me)
        kwargs: dict[str, Any] = {"follow_redirects": False}
        if kind == "json":
            kwargs["json"] = _filled(body, role)
            kwargs["headers"] = {"X-CSRF-Token": token, "Accept": "application/json"}
        elif kind == "form":
            kwargs["data"] = {
                **{k: v.format(role=role) for k, v in body.items()},
                "csrf_token": token,
            }
        elif kind == "upload":  # a file, as the template editor sends a header's example
            kwargs["data"] = body
            kwargs["files"] = {"file": ("contoh.png", PNG, "image/png")}
            kwargs["headers"] = {"X-CSRF-Token": token, "Accept": "application/json"}
        r = client.request(method, url, **kwargs)
        if role in allowed:
            ok = r.status_code in (200, 303) or (
                r.status_code == 404 and ("999" in url or "labels" in url)
            )
        else:
            ok = r.status_code == 403
        if not ok:
            problems.append((method, url, r.status_code))
    assert problems == []


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)


def _filled(body: Any, role: str) -> Any:
    """A JSON body with ``{role}`` filled in its strings (names that must differ per role)."""
    if isinstance(body, str):
        return body.replace("{role}", role)
    if isinstance(body, dict):
        return {k: _filled(v, role) for k, v in body.items()}
    return body


# Routes a person may use without signing in, and the streaming/media routes tested elsewhere.
PUBLIC = {
    "/login",
    "/logout",
    "/invite/{secret}",
    "/",
    "/media/out/{name}",
    "/media/templates/{key}",  # a media header's example, fetched by Meta
    "/healthz",
    "/livez",  # operations (tests/web/test_ops.py)
    "/readyz",
    "/metrics",
    "/l/{code}",  # a campaign recipient's tracked link
    "/login/2fa",  # between the password and the session (tests/security/test_two_factor.py)
    "/privasi",  # the privacy notice (tests/privacy/test_retention.py)
    "/privacy",
}
OTHER_TESTS = {
    "/inbox/events",
    "/inbox/media/{message_id}",
    "/inbox/c/{conversation_id}/media",
    "/inbox/c/{conversation_id}/share",
    "/inbox/products",
    "/catalog/products/{product_id}/images",
    "/catalog/import",
    "/analytics/behind/{key}",  # tests/analytics/test_dashboard.py
    "/analytics/report-template",  # tests/analytics/test_whatsapp_report.py (submits to Meta)
    # tests/security/test_two_factor.py (they need a password, a code or another person)
    "/me/password",
    "/me/2fa/confirm",
    "/me/2fa/recovery-codes",
    "/me/2fa/disable",
    "/settings/users/{user_id}/reset-2fa",
    "/settings/users/{user_id}/end-sessions",
    "/settings/users/{user_id}/permissions",  # tests/security/test_permissions.py
    "/settings/incidents/{incident_id}/steps/{key}",  # tests/security/test_incidents.py
    "/settings/shop/photo",  # tests/web/test_shop_pages.py (an image upload)
    "/settings/shop/holidays/{day}/delete",
}


def test_every_page_route_is_in_the_role_table(live: LiveServer) -> None:
    """A new page route must be added to ROUTES (and so to the role check)."""
    table = {re.sub(r"\?.*", "", p) for _, p, _, _, _ in ROUTES}
    table = {re.sub(r"\{c\}", "{conversation_id}", p) for p in table}
    table = {re.sub(r"\{contact\}", "{contact_id}", p) for p in table}
    table = {re.sub(r"\{me\}", "{user_id}", p) for p in table}
    table = {re.sub(r"/999(/|$)", r"/{id}\1", p) for p in table}
    missing = []
    for route in _routes(live.app):
        path = route.path
        if path.startswith(
            ("/api/", "/webhooks", "/sandbox", "/static", "/docs", "/redoc", "/katalog")
        ):
            continue
        if path in ("/openapi.json", "/me/locale") or path in PUBLIC or path in OTHER_TESTS:
            continue
        generic = re.sub(
            r"\{(team|label|reward|group|poll|quick_reply|invite|rule|order|token|template|link|campaign|segment|cost|goal|device|session|alert|incident)_id\}",
            "{id}",
            path,
        )
        if generic not in table:
            missing.append(path)
    assert missing == []


def _routes(app: Any) -> list[Any]:
    found = []
    stack = list(app.router.routes)
    while stack:
        route = stack.pop()
        inner = getattr(route, "original_router", None)
        if inner is not None:
            prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            for r in inner.routes:
                if hasattr(r, "path"):
                    r = _Prefixed(prefix + r.path)
                stack.append(r)
        elif hasattr(route, "path"):
            found.append(route)
    return found


class _Prefixed:
    def __init__(self, path: str) -> None:
        self.path = path


def test_analyst_sees_no_composer(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "analyst")
    conv = customer_writes(niaga, factory)
    client = login(niaga.url, "analyst@toko.test")
    page = client.get(f"/inbox/c/{conv}").text
    assert 'id="composer-text"' not in page
    assert "tidak bisa membalas" in page
