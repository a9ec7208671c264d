"""The whole loyalty flow through the live server and the sandbox: a customer orders, the order
completes, points arrive with a message, "POIN" and "TUKAR" are answered, a tap on the list
gives a code, an agent uses it on the next order; a wrong code is refused and counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from niaga.core.db import transaction
from niaga.inbox.models import Conversation
from niaga.loyalty import guard
from niaga.loyalty.models import LoyaltyCodeGuard
from niaga.orders.models import Order
from niaga.security.models import AuditEntry
from tests.catalog.helpers import add_product, api, open_conversation, token, wait_order
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

PHONE = "6281234500321"


def _texts(niaga: LiveServer) -> list[dict[str, Any]]:
    return SandboxControl(niaga.url).messages(to=PHONE)


def _reply(niaga: LiveServer, after: int, kind: str = "text") -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        fresh = [m for m in _texts(niaga)[after:] if m["type"] == kind]
        return fresh[-1] if fresh else None

    return wait_for(found, timeout=15)


def _cart(niaga: LiveServer, quantity: int) -> None:
    SandboxControl(niaga.url).send(
        PHONE,
        type="order",
        items=[
            {
                "product_retailer_id": "TEH-01",
                "quantity": quantity,
                "item_price": 50000,
                "currency": "IDR",
            }
        ],
    )


def _newer_order(factory: Any, than: int) -> int | None:
    with factory() as s:
        return s.scalars(select(Order.id).where(Order.id > than)).first()


def test_order_points_poin_tukar_code_on_the_next_order(niaga: LiveServer, factory: Any) -> None:
    admin, agent = token(factory, "admin"), token(factory, "agent")
    add_product(niaga, admin, sku="TEH-01", name="Teh Melati", price=50_000)
    r = api(
        niaga,
        "POST",
        "/loyalty/rewards",
        admin,
        json={
            "name": "Diskon Rp20.000",
            "kind": "discount_amount",
            "value": 20_000,
            "cost_points": 30,
        },
    )
    assert r.status_code == 201, r.text
    reward_id = r.json()["id"]
    conversation_id = open_conversation(niaga, factory, PHONE, name="Dewi")
    _cart(niaga, 8)  # Rp400.000: 40 points at 1 per Rp10.000
    order_id = wait_order(factory, conversation_id=conversation_id)
    with transaction(factory) as s:
        contact_id = s.get_one(Conversation, conversation_id).contact_id
    before = len(_texts(niaga))
    r = api(niaga, "POST", f"/orders/{order_id}/status", agent, json={"status": "selesai"})
    assert r.status_code == 200, r.text
    # The completion note and the points message (one each).
    points_msg = wait_for(
        lambda: next(
            (
                m
                for m in _texts(niaga)[before:]
                if m["type"] == "text" and "40 poin" in m["body"]["text"]["body"]
            ),
            None,
        ),
        timeout=15,
    )
    assert (
        "Saldo" in points_msg["body"]["text"]["body"] or "40" in points_msg["body"]["text"]["body"]
    )
    points = api(niaga, "GET", f"/contacts/{contact_id}/loyalty", agent).json()
    assert points["balance"] == 40 and points["tier"]["name"] == "Perunggu"
    assert [e["kind"] for e in points["history"]] == ["earned"]

    sb = SandboxControl(niaga.url)
    before = len(_texts(niaga))
    sb.send(PHONE, type="text", text="cek poinn")  # a typo
    answer = _reply(niaga, before)["body"]["text"]["body"]
    assert "40 poin" in answer and "Perunggu" in answer and "Diskon Rp20.000" in answer

    before = len(_texts(niaga))
    sb.send(PHONE, type="text", text="TUKAR")
    menu = _reply(niaga, before, kind="interactive")["body"]["interactive"]
    assert menu["type"] == "list"
    row = menu["action"]["sections"][0]["rows"][0]
    assert row["id"] == f"loy:r:{reward_id}" and row["title"] == "Diskon Rp20.000"

    before = len(_texts(niaga))
    sb.send(PHONE, type="list_reply", id=row["id"], title=row["title"])
    text = _reply(niaga, before)["body"]["text"]["body"]
    code = next(word for word in text.split() if word.startswith("NG-"))
    points = api(niaga, "GET", f"/contacts/{contact_id}/loyalty", agent).json()
    assert points["balance"] == 10
    assert points["codes"][0]["code"] == code and points["codes"][0]["state"] == "issued"

    # The next order: a wrong code is refused (and counted), the right one takes Rp20.000 off.
    _cart(niaga, 2)
    next_order = wait_for(lambda: _newer_order(factory, order_id), timeout=15)
    r = api(
        niaga, "POST", f"/orders/{next_order}/reward-code", agent, json={"code": "NG-AAAA-2222"}
    )
    assert r.status_code == 404 and r.json()["code"] == "code_not_found"
    with factory() as s:
        assert sum(g.failures for g in s.query(LoyaltyCodeGuard).all()) == 1
    r = api(niaga, "POST", f"/orders/{next_order}/reward-code", agent, json={"code": code.lower()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["order"]["discount"] == 20_000 and body["order"]["total"] == 80_000
    assert body["code"]["state"] == "used"
    r = api(niaga, "POST", f"/orders/{next_order}/reward-code", agent, json={"code": code})
    assert r.status_code == 409 and r.json()["code"] == "code_used"
    assert guard.FREE == 10


def test_hand_adjustments_are_audited_and_cannot_overdraw(niaga: LiveServer, factory: Any) -> None:
    admin, analyst = token(factory, "admin"), token(factory, "analyst")
    conversation_id = open_conversation(niaga, factory, PHONE)
    with factory() as s:
        contact_id = s.get_one(Conversation, conversation_id).contact_id
    path = f"/contacts/{contact_id}/loyalty/adjust"
    r = api(niaga, "POST", path, admin, json={"points": 25, "reason": "Bonus ulang tahun"})
    assert r.status_code == 201 and r.json()["kind"] == "adjusted_in"
    r = api(niaga, "POST", path, admin, json={"points": -30, "reason": "Salah input"})
    assert r.status_code == 409 and r.json()["code"] == "not_enough_points"
    assert (
        api(niaga, "POST", path, analyst, json={"points": 5, "reason": "x y z"}).status_code == 403
    )
    with factory() as s:
        audited = s.scalars(select(AuditEntry).where(AuditEntry.kind == "loyalty.adjusted")).all()
        assert [(a.details["points"], a.target_id) for a in audited] == [(25, str(contact_id))]
    members = api(niaga, "GET", "/loyalty/members", analyst).json()
    assert members[0]["contact_id"] == contact_id and members[0]["balance"] == 25


def test_a_new_reward_is_announced_to_those_who_can_afford_it(
    niaga: LiveServer, factory: Any
) -> None:
    from niaga.contacts import consent
    from niaga.contacts.models import Contact
    from niaga.loyalty import ledger
    from tests.catalog.helpers import wait_template
    from tests.web.web_helpers import csrf, login, make_user

    rich_phone, poor_phone = "6281234500601", "6281234500602"
    ids = []
    for phone, points in ((rich_phone, 50), (poor_phone, 5)):
        conversation_id = open_conversation(niaga, factory, phone)
        with transaction(factory) as s:
            contact = s.get_one(Contact, s.get_one(Conversation, conversation_id).contact_id)
            consent.do_record(s, contact, granted=True, source="chat", proof="YA")
            ledger.do_credit(s, contact.id, "earned", points, expires_at=None)
            ids.append(contact.id)
    admin = token(factory, "admin")
    r = api(
        niaga,
        "POST",
        "/loyalty/rewards",
        admin,
        json={"name": "Tote bag", "kind": "gift", "cost_points": 40},
    )
    reward_id = r.json()["id"]
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    early = owner.post(f"/loyalty/rewards/{reward_id}/announce", data={"csrf_token": csrf(owner)})
    assert "hadiah_baru" in early.headers["location"]  # not approved yet: nothing sent
    owner.post("/settings/templates/own/submit", data={"csrf_token": csrf(owner)})
    wait_template(factory, "hadiah_baru", timeout=20)
    r = owner.post(f"/loyalty/rewards/{reward_id}/announce", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    sb = SandboxControl(niaga.url)

    def announced() -> dict[str, Any] | None:
        found = [m for m in sb.messages(to=rich_phone) if m["type"] == "template"]
        return found[0] if found else None

    template = wait_for(announced, timeout=20)["body"]["template"]
    assert template["name"] == "hadiah_baru"
    params = {p["parameter_name"]: p["text"] for p in template["components"][0]["parameters"]}
    assert params == {"nama": "Siti", "hadiah": "Tote bag", "poin": "40", "saldo": "50"}
    assert not [m for m in sb.messages(to=poor_phone) if m["type"] == "template"]
