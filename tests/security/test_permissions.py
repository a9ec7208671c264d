"""Fine permissions on top of the roles: numbers masked for whoever may not see them (pages,
the API, exports), exports, campaign sends and settings refused without their permission."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.security import permissions
from niaga.security.models import User
from niaga.security.tokens import do_create_token
from tests.catalog.helpers import api
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

PHONE = "6281234509876"
FULL, MASKED = "+6281234509876", "+62812****9876"


def customer(niaga: LiveServer, factory: Any, name: str | None = None) -> int:
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, name or "")
    sb.send(PHONE, type="text", text="halo kak")

    def found() -> int | None:
        with factory() as s:
            return s.scalars(select(Contact.id).where(Contact.wa_id == PHONE)).first()

    return wait_for(found)


def token_for(factory: Any, email: str) -> dict[str, str]:
    with transaction(factory) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        _, secret = do_create_token(s, name=f"t-{user.role}", role=user.role, user_id=user.id)
    return {"Authorization": f"Bearer {secret}"}


def test_numbers_are_masked_in_pages_the_api_and_exports(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    make_user(factory, "agent")
    make_user(factory, "analyst")
    contact_id = customer(niaga, factory)
    with transaction(factory) as s:  # no name: the number is all there is to show
        c = s.get(Contact, contact_id)
        c.profile_name = c.display_name = None
    agent = login(niaga.url, "agent@toko.test")
    analyst = login(niaga.url, "analyst@toko.test")
    assert FULL in agent.get("/inbox").text
    shown = analyst.get("/inbox").text
    assert FULL not in shown and PHONE not in shown and MASKED in shown
    # The API, with each person's token.
    for email, expected in (("agent@toko.test", FULL), ("analyst@toko.test", MASKED)):
        headers = token_for(factory, email)
        contact = api(niaga, "GET", f"/contacts/{contact_id}", headers).json()
        assert contact["phone"] == expected and contact["name"] == expected
        listed = api(niaga, "GET", "/conversations", headers).json()
        assert listed[0]["contact"]["phone"] == expected
    # Exports: the analyst's file holds masked numbers, the owner's full ones.
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    params = {"kind": "contacts", "first": today, "last": today}
    masked = analyst.get("/analytics/export.csv", params=params).text
    assert MASKED in masked and FULL not in masked
    owner = login(niaga.url, "owner@toko.test")
    assert FULL in owner.get("/analytics/export.csv", params=params).text
    api_export = api(
        niaga,
        "GET",
        "/analytics/exports/contacts",
        token_for(factory, "analyst@toko.test"),
        params={"first": today, "last": today},
    ).text
    assert MASKED in api_export and FULL not in api_export

    # The owner takes the agent's numbers away on the Security page.
    with factory() as s:
        agent_id = s.scalars(select(User.id).where(User.email == "agent@toko.test")).one()
    r = owner.post(f"/settings/users/{agent_id}/permissions", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    shown = agent.get("/inbox").text
    assert FULL not in shown and MASKED in shown
    # A token made by the agent now masks too (no more than its maker may).
    contact = api(niaga, "GET", f"/contacts/{contact_id}", token_for(factory, "agent@toko.test"))
    assert contact.json()["phone"] == MASKED


def test_exports_sends_and_settings_need_their_permission(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    admin_id = make_user(factory, "admin")
    with transaction(factory) as s:
        admin = s.get(User, admin_id)
        permissions.do_set(
            s,
            admin,
            {
                "export_data": False,
                "send_campaigns": False,
                "change_settings": False,
                "see_phone_numbers": True,
            },
        )
        assert permissions.of_user(admin) == {"see_phone_numbers"}
    client = login(niaga.url, "admin@toko.test")
    today = clock.now().astimezone(ZoneInfo("Asia/Jakarta")).date().isoformat()
    params = {"kind": "orders", "first": today, "last": today}
    assert client.get("/analytics/export.csv", params=params).status_code == 403
    assert client.get("/settings/labels").status_code == 403
    assert client.get("/settings/tokens").status_code == 200  # people and tokens stay
    r = client.post(
        "/campaigns/1/schedule",
        json={"at": None},
        headers={"X-CSRF-Token": csrf(client), "Accept": "application/json"},
    )
    assert r.status_code == 403
    headers = token_for(factory, "admin@toko.test")
    r = api(
        niaga, "GET", "/analytics/exports/orders", headers, params={"first": today, "last": today}
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_export"
    r = api(niaga, "POST", "/campaigns/1/schedule", headers, json={"at": None})
    assert r.status_code == 403 and r.json()["code"] == "permission_send"
    assert api(niaga, "PUT", "/automation/profile", headers, json={"away": True}).status_code == 403
    owner_token = token_for(factory, "owner@toko.test")
    assert (
        api(niaga, "PUT", "/automation/profile", owner_token, json={"away": True}).status_code
        == 200
    )
    with factory() as s:
        kinds = s.scalars(select(User.permissions).where(User.id == admin_id)).one()
    assert kinds == {"export_data": False, "send_campaigns": False, "change_settings": False}
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/settings/security").text
    assert f'data-permissions="{admin_id}"' in page
