"""Customer groups: the resolve flow joins the real "Pelanggan Setia" group (and says so, once),
join rules by completed orders and by loyalty level, leaving for good unless taken back by hand,
and the group as a campaign audience."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import defaults, service
from niaga.automation.models import AutomationRule
from niaga.campaigns import segments
from niaga.community import actions, groups
from niaga.community.models import GroupMember
from niaga.contacts.models import Contact, ContactLabel
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox import organise
from niaga.inbox.models import Conversation, Message
from niaga.loyalty import ledger
from niaga.orders.models import Order
from tests.automation.helpers import inbound, make_team, shop_profile
from tests.conftest import LiveServer

pytestmark = pytest.mark.usefixtures("quiet")


@pytest.fixture(autouse=True)
def _installed() -> None:
    actions.install()


def _resolve(factory: sessionmaker[Session], conversation_id: int) -> None:
    with transaction(factory) as s:
        organise.do_set_status(
            s, s.get_one(Conversation, conversation_id), "resolved", actor_user_id=None
        )
    with transaction(factory) as s:
        service.handle_resolved(s, conversation_id)


def test_the_resolve_flow_joins_the_real_group_and_says_so_once(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as s:
        for team in defaults.TEAMS:
            make_team(s, team, 1)
        defaults.do_seed_defaults(s)
        shop_profile(s)
        rule = s.scalars(select(AutomationRule).where(AutomationRule.seed_key == "loyal")).one()
        assert rule.actions == [{"type": "add_to_group", "group": "Pelanggan Setia"}]
    with transaction(factory) as s:
        message = inbound(s, "Terima kasih kak, paketnya sudah sampai")
        label = organise.get_or_create_label(s, "Pelanggan Setia", None)
        s.add(ContactLabel(contact_id=message.contact_id, label_id=label.id))
    with transaction(factory) as s:
        service.handle_message_received(s, message.id)
    _resolve(factory, message.conversation_id)
    with factory() as s:
        group = groups.by_name(s, "Pelanggan Setia")
        assert group is not None and groups.is_member(s, group.id, message.contact_id)
        member = s.scalars(select(GroupMember)).one()
        assert member.source == "resolve"
        texts = [
            m.text
            for m in s.scalars(select(Message).where(Message.direction == "out"))
            if m.text and "Pelanggan Setia" in m.text
        ]
        assert len(texts) == 1 and "anggota Pelanggan Setia" in texts[0]
        assert "undang" not in texts[0]  # no promise of a group that does not exist
    _resolve(factory, message.conversation_id)  # resolved again: no second welcome
    with factory() as s:
        again = [
            m
            for m in s.scalars(select(Message).where(Message.direction == "out"))
            if m.text and "Pelanggan Setia" in m.text
        ]
        assert len(again) == 1


def _customer(s: Session, n: int, completed: int = 0) -> int:
    contact = Contact(wa_id=f"62812000{n:05d}", phone=f"+62812000{n:05d}", display_name=f"C{n}")
    s.add(contact)
    s.flush()
    for i in range(completed):
        s.add(
            Order(
                number=20000 + n * 10 + i,
                contact_id=contact.id,
                status="selesai",
                total=100_000,
                subtotal=100_000,
            )
        )
    s.flush()
    return contact.id


def test_join_rules_leaving_and_the_group_as_an_audience(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        group = groups.ensure_loyal(s)
        three = _customer(s, 1, completed=3)
        two = _customer(s, 2, completed=2)
        silver = _customer(s, 3)
        ledger.do_credit(s, silver, "earned", 600, expires_at=None)  # level Perak (500)
        bronze = _customer(s, 4)
        ledger.do_credit(s, bronze, "earned", 100, expires_at=None)
        group_id = group.id
    with transaction(factory) as s:
        assert groups.do_apply_rules(s) == 2
        assert groups.do_apply_rules(s) == 0  # nothing new
    rule = segments.SegmentRule.model_validate(
        {"conditions": [{"field": "group", "group_id": group_id}]}
    )
    with factory() as s:
        assert set(segments.page(s, rule, limit=10)) == {three, silver}
        assert not groups.is_member(s, group_id, two) and not groups.is_member(s, group_id, bronze)
    with transaction(factory) as s:
        group = groups.get(s, group_id)
        assert groups.do_leave(s, group, three)
        assert groups.do_apply_rules(s) == 0  # a rule never takes back someone who left
        assert groups.do_join(s, group, two, source="hand")
    with factory() as s:
        assert set(segments.page(s, rule, limit=10)) == {silver, two}
    with transaction(factory) as s:
        assert groups.do_join(s, groups.get(s, group_id), three, source="hand")  # by hand: back
    with factory() as s:
        assert set(segments.page(s, rule, limit=10)) == {silver, two, three}
        assert groups.member_count(s, group_id) == 3
    assert clock.now() - timedelta(days=1) < clock.now()


def test_the_page_writes_nothing_and_makes_the_group_on_request(
    niaga: LiveServer, factory: sessionmaker[Session]
) -> None:
    from tests.web.web_helpers import csrf, login, make_user

    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/community")
    assert page.status_code == 200 and 'id="no-groups"' in page.text  # a GET makes nothing
    r = owner.post("/community/groups/loyal", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    with factory() as s:
        assert groups.by_name(s, "Pelanggan Setia") is not None
    assert 'id="no-groups"' not in owner.get("/community").text
