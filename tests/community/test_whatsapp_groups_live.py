"""A real WhatsApp group through Meta's Groups API (the sandbox plays it): the owner asks for
one for a small group, Meta's webhook names it, an invite link is made and sent to each member
in their chat, members who follow it are seen joining, a member who leaves the Niaga group is
taken out of the WhatsApp group; a refusal (no Official Business Account) is kept and shown, and
a group of more than 8 is refused before asking Meta."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from niaga.channels.whatsapp.channel import make_channel
from niaga.channels.whatsapp.models import AccountEvent
from niaga.community import groups, whatsapp
from niaga.community.models import CommunityGroup, GroupMember
from niaga.contacts.models import Contact
from niaga.core.db import transaction
from niaga.inbox.models import Conversation
from tests.catalog.helpers import api, open_conversation, token
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

PHONES = ("6281234500801", "6281234500802", "6281234500803")


@pytest.fixture
def quiet_groups(live: LiveServer) -> Iterator[None]:
    """The server's own WhatsApp-groups round sits out: the test drives it."""
    jobs = live.app.state.worker.jobs
    jobs.pause("community")
    wait_for(lambda: jobs.idle("community"), timeout=30)
    try:
        yield
    finally:
        jobs.resume("community")


def _round(niaga: LiveServer, factory: Any) -> None:
    async def run() -> None:
        async with make_channel(niaga.settings) as channel:
            await whatsapp.tick(channel, factory, "id")

    asyncio.run(run())


def _members(niaga: LiveServer, factory: Any) -> tuple[int, list[int]]:
    admin = token(factory, "admin")
    contacts = []
    for n, phone in enumerate(PHONES):
        conversation_id = open_conversation(niaga, factory, phone, name=f"Anggota {n}")
        with factory() as s:
            contacts.append(s.get_one(Conversation, conversation_id).contact_id)
    with transaction(factory) as s:
        group_id = groups.ensure_loyal(s).id
    for contact_id in contacts:
        path = f"/community/groups/{group_id}/members"
        assert api(niaga, "POST", path, admin, json={"contact_id": contact_id}).status_code == 201
    return group_id, contacts


def test_a_small_group_becomes_a_whatsapp_group_with_invites(
    niaga: LiveServer, factory: Any, quiet_groups: None
) -> None:
    admin = token(factory, "admin")
    group_id, contacts = _members(niaga, factory)
    r = api(niaga, "POST", f"/community/groups/{group_id}/whatsapp", admin)
    assert r.status_code == 200, r.text
    assert r.json()["wa_error"] is None and r.json()["wa_group_id"] is None
    again = api(niaga, "POST", f"/community/groups/{group_id}/whatsapp", admin)
    assert again.status_code == 409 and again.json()["code"] == "group_has_whatsapp"

    # Meta's group_lifecycle_update names the group; a round makes the link and invites.
    wait_for(
        lambda: _has_event(factory, "group_lifecycle_update"),
        timeout=15,
    )
    _round(niaga, factory)
    with factory() as s:
        group = s.get_one(CommunityGroup, group_id)
        assert group.wa_group_id and group.mode == "whatsapp"
        assert group.invite_link and group.invite_link.startswith("https://chat.whatsapp.com/")
        link = group.invite_link
        invited = s.scalars(
            select(GroupMember.invited_at).where(GroupMember.group_id == group_id)
        ).all()
        assert all(invited)
    sb = SandboxControl(niaga.url)
    for phone in PHONES:
        texts = [m["body"]["text"]["body"] for m in sb.messages(to=phone) if m["type"] == "text"]
        assert sum(link in t for t in texts) == 1, texts
    # The sandbox customers follow the link: Meta tells who joined.
    wait_for(lambda: _has_event(factory, "group_participants_update", 3), timeout=15)
    _round(niaga, factory)
    with factory() as s:
        joined = s.scalars(
            select(GroupMember.wa_joined_at).where(GroupMember.group_id == group_id)
        ).all()
        assert all(joined)
    listed = api(niaga, "GET", "/community/groups", admin).json()
    assert next(g for g in listed if g["id"] == group_id)["invite_link"] == link

    # One leaves the Niaga group: taken out of the WhatsApp group too.
    r = api(niaga, "DELETE", f"/community/groups/{group_id}/members/{contacts[0]}", admin)
    assert r.json() == {"left": True}
    _round(niaga, factory)
    with factory() as s:
        row = s.scalars(
            select(GroupMember).where(
                GroupMember.group_id == group_id, GroupMember.contact_id == contacts[0]
            )
        ).one()
        assert row.wa_removed_at is not None
        wa_group_id = s.get_one(CommunityGroup, group_id).wa_group_id
    info = _graph_get(niaga, wa_group_id)
    assert sorted(p["wa_id"] for p in info["participants"]) == sorted(PHONES[1:])
    _round(niaga, factory)  # a further round sends nothing twice
    for phone in PHONES:
        texts = [m["body"]["text"]["body"] for m in sb.messages(to=phone) if m["type"] == "text"]
        assert sum(link in t for t in texts) == 1


def test_meta_refuses_and_big_groups_are_not_asked(
    niaga: LiveServer, factory: Any, quiet_groups: None
) -> None:
    admin = token(factory, "admin")
    group_id, _ = _members(niaga, factory)
    SandboxControl(niaga.url).configure(groups_api=False)
    r = api(niaga, "POST", f"/community/groups/{group_id}/whatsapp", admin)
    assert r.status_code == 200
    assert "(10)" in r.json()["wa_error"] and r.json()["mode"] == "broadcast"
    SandboxControl(niaga.url).configure(groups_api=True)
    with transaction(factory) as s:
        for n in range(6):
            contact = Contact(wa_id=f"628199990{n:04d}")
            s.add(contact)
            s.flush()
            groups.do_join(s, groups.get(s, group_id), contact.id, source="hand", welcome=False)
    r = api(niaga, "POST", f"/community/groups/{group_id}/whatsapp", admin)
    assert r.status_code == 409 and r.json()["code"] == "group_too_big"


def _has_event(factory: Any, field: str, at_least: int = 1) -> bool:
    with factory() as s:
        return (
            len(s.scalars(select(AccountEvent.id).where(AccountEvent.field == field)).all())
            >= at_least
        )


def _graph_get(niaga: LiveServer, object_id: str) -> dict[str, Any]:
    import httpx

    settings = niaga.settings
    r = httpx.get(
        f"{settings.wa_graph_url}/{settings.wa_api_version}/{object_id}",
        headers={"Authorization": f"Bearer {settings.wa_access_token}"},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()
