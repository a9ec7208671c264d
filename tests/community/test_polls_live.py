"""A poll through the live server and the sandbox: members of "Pelanggan Setia" get the poll's
template (a quick-reply button per answer, each with its payload), their taps are the votes
(a second tap changes one), the tally equals the votes sent, and closing tells each voter the
result; the poll is on the content calendar."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from niaga.community import groups
from niaga.community.models import CommunityGroup
from niaga.core.db import transaction
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import api, open_conversation, token, wait_template
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import login, make_user

PHONES = ("6281234500701", "6281234500702", "6281234500703")


def _poll_message(sb: SandboxControl, phone: str) -> dict[str, Any] | None:
    found = [m for m in sb.messages(to=phone) if m["type"] == "template"]
    return found[-1] if found else None


def test_a_poll_to_the_loyal_group_is_tallied_and_answered(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    contacts = []
    for n, phone in enumerate(PHONES):
        conversation_id = open_conversation(niaga, factory, phone, name=f"Pelanggan {n}")
        with factory() as s:
            from niaga.inbox.models import Conversation

            contacts.append(s.get_one(Conversation, conversation_id).contact_id)
    with transaction(factory) as s:
        group_id = groups.ensure_loyal(s).id
    for contact_id in contacts:
        r = api(
            niaga,
            "POST",
            f"/community/groups/{group_id}/members",
            admin,
            json={"contact_id": contact_id},
        )
        assert r.status_code == 201 and r.json() == {"joined": True}
    listed = api(niaga, "GET", "/community/groups", admin).json()
    loyal = next(g for g in listed if g["id"] == group_id)
    assert loyal["members"] == 3 and loyal["mode"] == "broadcast"
    assert "8" in loyal["mode_text"]  # says why it is not a WhatsApp group

    r = api(
        niaga,
        "POST",
        "/community/polls",
        admin,
        json={
            "question": "Produk apa yang ingin Anda lihat bulan depan?",
            "options": ["Gamis", "Hijab", "Mukena"],
            "share_results": True,
        },
    )
    assert r.status_code == 201, r.text
    poll = r.json()
    assert poll["template_status"] == "NOT_SUBMITTED"
    r = api(niaga, "POST", f"/community/polls/{poll['id']}/submit", admin)
    assert r.status_code == 200, r.text
    wait_template(factory, poll["template_name"])
    with factory() as s:
        template_id = s.scalars(
            select(MessageTemplate.id).where(MessageTemplate.name == poll["template_name"])
        ).one()
    r = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={
            "name": "Polling produk",
            "template_id": template_id,
            "rule": {"conditions": [{"field": "group", "group_id": group_id}]},
            "kind": "poll",
            "poll_id": poll["id"],
            "require_consent": False,
        },
    )
    assert r.status_code == 201, r.text
    campaign_id = r.json()["id"]
    assert (
        api(niaga, "POST", f"/campaigns/{campaign_id}/schedule", admin, json={}).status_code == 200
    )

    sb = SandboxControl(niaga.url)
    sent = {phone: wait_for(lambda p=phone: _poll_message(sb, p), timeout=20) for phone in PHONES}
    buttons = [
        c for c in sent[PHONES[0]]["body"]["template"]["components"] if c["type"] == "button"
    ]
    payloads = [
        b["parameters"][0]["payload"] for b in sorted(buttons, key=lambda b: int(b["index"]))
    ]
    assert payloads == [f"poll:{poll['id']}:{i}" for i in range(3)]

    def tap(phone: str, option: int) -> None:
        sb.send(
            phone,
            type="template_button",
            payload=payloads[option],
            title=poll["options"][option],
            context_wamid=sent[phone].get("wamid") or sent[phone].get("id"),
        )

    tap(PHONES[0], 0)
    tap(PHONES[1], 1)
    tap(PHONES[2], 2)
    tap(PHONES[2], 0)  # changes their mind

    def tallied() -> list[int] | None:
        got = api(niaga, "GET", f"/community/polls/{poll['id']}", admin).json()
        counts = [t["votes"] for t in got["tally"]]
        return counts if counts == [2, 1, 0] else None

    assert wait_for(tallied, timeout=15) == [2, 1, 0]

    r = api(niaga, "POST", f"/community/polls/{poll['id']}/close", admin)
    assert r.status_code == 200 and r.json()["closed_at"] is not None
    for phone in PHONES:
        result = wait_for(
            lambda p=phone: next(
                (
                    m["body"]["text"]["body"]
                    for m in sb.messages(to=p)
                    if m["type"] == "text" and "Gamis: 2 (67%)" in m["body"]["text"]["body"]
                ),
                None,
            ),
            timeout=15,
        )
        assert "Hijab: 1 (33%)" in result
    tap(PHONES[1], 2)  # after closing: changes nothing
    got = api(niaga, "GET", f"/community/polls/{poll['id']}", admin).json()
    assert [t["votes"] for t in got["tally"]] == [2, 1, 0]

    make_user(factory, "owner")
    page = login(niaga.url, "owner@toko.test").get("/community").text
    tally = re.search(rf'id="poll-{poll["id"]}".*?</ul>', page, re.S)
    assert tally is not None
    votes = re.findall(r'class="votes">(\d+)<', tally.group(0))
    assert votes == ["2", "1", "0"]
    assert 'data-kind="poll"' in page and "Polling produk" in page  # on the calendar
    assert "3 anggota" in page and "8 orang" in page

    entries = api(niaga, "GET", "/community/calendar", admin).json()
    assert [(e["campaign_id"], e["kind"], e["poll_id"]) for e in entries] == [
        (campaign_id, "poll", poll["id"])
    ]
    with factory() as s:
        assert s.scalars(select(CommunityGroup)).one().name == "Pelanggan Setia"
