"""Retention periods held by the scheduled purge, and the privacy notice customers read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, update

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Message
from niaga.privacy import retention
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

OLD, NEW = "6281234500011", "6281234500012"


def count(factory: Any, stmt: Any) -> int:
    with factory() as s:
        return int(s.scalar(stmt) or 0)


def test_the_purge_holds_each_kind_of_data_to_its_period(
    niaga: LiveServer, factory: Any, intake_factory: Any
) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    r = owner.post(
        "/settings/privacy/retention",
        data={
            "csrf_token": csrf(owner),
            "raw_webhook_days": "1",
            "sent_payload_days": "1",
            "message_content_days": "2",
            "inactive_customer_days": "3",
        },
    )
    assert r.status_code == 303
    sb = SandboxControl(niaga.url)
    sb.customer(OLD, "Pelanggan Lama")
    sb.send(OLD, type="text", text="pesan lama sekali")
    inbound = select(func.count()).select_from(Message).where(Message.direction == "in")
    wait_for(lambda: count(factory, inbound) == 1)
    wait_for(
        lambda: (
            count(
                intake_factory,
                select(func.count())
                .select_from(WebhookEvent)
                .where(WebhookEvent.processed_at.is_not(None)),
            )
            >= 1
        )
    )
    # Make the first customer's chat four days old (the sandbox stamps real times).
    then = clock.now() - timedelta(days=4)
    with transaction(factory) as s:
        s.execute(update(Message).values(created_at=then, received_at=then))
        s.execute(update(Contact).values(created_at=then, last_inbound_at=then))
    with transaction(intake_factory) as s:
        s.execute(update(WebhookEvent).values(processed_at=then))
    sb.customer(NEW, "Pelanggan Baru")
    sb.send(NEW, type="text", text="pesan baru")
    wait_for(lambda: count(factory, inbound) == 2)
    intake = None if intake_factory.kw["bind"] is factory.kw["bind"] else intake_factory
    done = retention.purge(factory, data_dir=Path(niaga.settings.data_dir), intake=intake)
    assert done["messages"] >= 1 and done["customers_erased"] == 1
    assert done["raw_webhooks"] >= 1
    with factory() as s:
        fresh = s.scalars(select(Contact).where(Contact.wa_id == NEW)).one()
        old = s.scalars(select(Contact).where(Contact.id != fresh.id)).one()
        texts = s.execute(
            select(Message.contact_id, Message.text).where(Message.direction == "in")
        ).all()
    assert dict(texts) == {old.id: None, fresh.id: "pesan baru"}
    assert old.erased_at is not None and old.phone is None
    # A second run finds nothing more to do.
    again = retention.purge(factory, data_dir=Path(niaga.settings.data_dir), intake=intake)
    assert again.get("messages", 0) == 0 and again.get("customers_erased", 0) == 0
    page = owner.get("/settings/privacy").text
    assert 'value="3"' in page and "<td>Penghapusan</td>" in page


def test_the_privacy_notice_is_public_and_the_owner_words_it(
    niaga: LiveServer, factory: Any
) -> None:
    page = httpx.get(f"{niaga.url}/privasi")
    assert page.status_code == 200 and "UU Pelindungan Data Pribadi" in page.text
    assert "Niaga" in page.text  # the shop's name
    english = httpx.get(f"{niaga.url}/privacy?lang=en")
    assert "Personal Data Protection Law" in english.text
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    r = owner.post(
        "/settings/privacy/notice",
        data={
            "csrf_token": csrf(owner),
            "body_id": "Toko {shop} menyimpan data <b>seperlunya</b>.\n\nHubungi kami.",
            "body_en": "",
        },
    )
    assert r.status_code == 303
    own = httpx.get(f"{niaga.url}/privasi").text
    assert "Toko Niaga menyimpan data &lt;b&gt;seperlunya&lt;/b&gt;." in own
    assert "Personal Data Protection Law" in httpx.get(f"{niaga.url}/privasi?lang=en").text
    bad = owner.post(
        "/settings/privacy/retention",
        data={"csrf_token": csrf(owner), "raw_webhook_days": "99999"},
    )
    assert bad.status_code == 303 and "flash=" in bad.headers["location"]
    agent_id = make_user(factory, "agent")
    agent = login(niaga.url, "agent@toko.test")
    assert agent.get("/settings/privacy").status_code == 403 and agent_id


def test_the_command_line_exports_and_erases_a_customer(
    niaga: LiveServer, factory: Any, tmp_path: Path
) -> None:
    from tests.test_cli import niaga as run_cli

    sb = SandboxControl(niaga.url)
    sb.customer(OLD, "Pelanggan Lama")
    sb.send(OLD, type="text", text="halo dari baris perintah")
    wait_for(lambda: count(factory, select(func.count()).select_from(Message)) >= 1)
    url = niaga.settings.database_url
    out = tmp_path / "arsip.zip"
    r = run_cli(url, "privacy", "export", "0812-3450-0011", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"PK")
    assert run_cli(url, "privacy", "erase", "+6281234500099", "--yes").returncode == 2
    r = run_cli(url, "privacy", "erase", "081234500011", "--yes")
    assert r.returncode == 0, r.stderr
    with factory() as s:
        assert s.scalars(select(Contact.erased_at)).one() is not None
