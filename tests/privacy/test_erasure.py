"""A customer's archive and erasure: after erasure nothing anywhere (every table and search
index of both databases, media files, backups made afterwards) holds the person, while the
shop's figures stay the same."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from niaga.analytics import rollups
from niaga.backups import service as backups
from niaga.campaigns.models import Campaign, CampaignRecipient
from niaga.contacts import consent
from niaga.contacts.models import Contact, ContactImport
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from niaga.orders.models import Order
from niaga.privacy.models import PrivacyRequest
from niaga.security.models import AuditEntry
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import add_product, api, token, wait_order
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

PHONE = "6281234500001"
OTHER = "6281234500002"
NEEDLES = ("81234500001", "Rahmawati", "Melati Nomor 7", "Kenanga 12", "rahasia-pribadi")


def everything(engine: Any) -> list[tuple[str, str]]:
    """Every row of every table (search indexes too) as text: (table, row)."""
    rows: list[tuple[str, str]] = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                )
            ).scalars()
            for name in list(names):
                for (row,) in conn.execute(text(f'SELECT t::text FROM "{name}" t')):
                    rows.append((name, row))
            # Raw webhook bodies are bytea: their text form is hex, so read them decoded.
            for table in ("webhook_events", "dead_letters"):
                for (row,) in conn.execute(text(f"SELECT encode(body, 'escape') FROM {table}")):
                    rows.append((table, row))
        else:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table'")
            ).scalars()
            for name in list(names):
                for row in conn.execute(text(f'SELECT * FROM "{name}"')):
                    rows.append(
                        (
                            name,
                            " ".join(
                                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                                for v in row
                            ),
                        )
                    )
    return rows


def found(engines: list[Any]) -> list[tuple[str, str]]:
    hits = []
    for engine in engines:
        for table, row in everything(engine):
            for needle in NEEDLES:
                if needle in row:
                    hits.append((table, needle))
    return sorted(set(hits))


def contact_of(factory: Any, wa_id: str) -> int | None:
    with factory() as s:
        return s.scalars(select(Contact.id).where(Contact.wa_id == wa_id)).first()


def summary(niaga: LiveServer, factory: Any, headers: dict[str, str]) -> dict[str, Any]:
    rollups.refresh(factory, "Asia/Jakarta")
    data = api(niaga, "GET", "/analytics/summary", headers, params={"period": "week"}).json()
    return {f["key"]: f["value"] for f in data["figures"]}


def test_erasure_leaves_nothing_of_the_person_and_the_figures_equal(
    niaga: LiveServer, factory: Any, engine: Any, intake_engine: Any, tmp_path: Path
) -> None:
    admin = token(factory, "admin")
    owner_id = make_user(factory, "owner")
    add_product(niaga, admin, sku="GMS-01", name="Gamis Navy", price=150_000, stock=9)
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Siti Rahmawati")
    sb.customer(OTHER, "Budi Santoso")
    sb.send(PHONE, type="text", text="Halo kak, alamat saya Jl. Melati Nomor 7 Bandung")
    sb.send(OTHER, type="text", text="Halo, gamis navy ada?")
    sb.send(PHONE, type="image", caption="Yang ini ready kak?")
    sb.send(
        PHONE,
        type="order",
        text="Kirim ke Jl. Kenanga 12 ya",
        items=[
            {
                "product_retailer_id": "GMS-01",
                "quantity": 2,
                "item_price": 150000,
                "currency": "IDR",
            }
        ],
    )
    order_id = wait_order(factory)

    def image() -> int | None:
        with factory() as s:
            return s.scalars(select(Message.id).where(Message.type == "image")).first()

    image_id = wait_for(image)
    owner = login(niaga.url, "owner@toko.test")
    assert owner.get(f"/inbox/media/{image_id}").status_code == 200  # cached on disk
    media_dir = Path(niaga.settings.data_dir) / "media" / "in"
    with factory() as s:
        media_id = s.get(Message, image_id).content["media_id"]
    assert (media_dir / media_id).is_file()
    with transaction(factory) as s:
        contact = s.scalars(select(Contact).where(Contact.wa_id == PHONE)).one()
        contact_id = contact.id
        contact.notes = "pelanggan rahasia-pribadi, suka gamis"
        contact.attributes = {"kota": "Bandung", "alamat": "Jl. Kenanga 12"}
        s.get(Order, order_id).shipping_address = "Jl. Kenanga 12, Bandung"
        consent.do_record(s, contact, granted=True, source="chat", proof="iya mau promo, Rahmawati")
        template = MessageTemplate(name="promo", language="id", status="APPROVED")
        s.add(template)
        s.flush()
        campaign = Campaign(
            name="Promo", template_id=template.id, params={}, rule={}, phone_number_id="1"
        )
        s.add(campaign)
        s.flush()
        s.add(CampaignRecipient(campaign_id=campaign.id, contact_id=contact_id, state="sent"))
        s.add(
            ContactImport(
                filename="pelanggan.csv",
                status="done",
                rows=[{"phone": "+6281234500001", "name": "Siti Rahmawati"}],
                report={},
            )
        )
    conversation_id = wait_for(
        lambda: (
            factory()
            .scalars(select(Conversation.id).where(Conversation.contact_id == contact_id))
            .first()
        )
    )
    r = owner.post(
        f"/inbox/c/{conversation_id}/note",
        json={"body": "Bu Rahmawati minta dikirim sore"},
        headers={"X-CSRF-Token": csrf(owner), "Accept": "application/json"},
    )
    assert r.status_code in (200, 201), r.text
    r = owner.post(
        f"/inbox/c/{conversation_id}/send",
        json={
            "message": {"type": "text", "body": "Siap Bu Rahmawati, kami kirim ke Melati Nomor 7"}
        },
        headers={"X-CSRF-Token": csrf(owner), "Accept": "application/json"},
    )
    assert r.status_code == 200, r.text
    wait_for(lambda: any("Melati Nomor 7" in json.dumps(m) for m in sb.messages(to=PHONE)))

    def settled() -> bool:  # every status the sandbox will send has arrived
        with factory() as s:
            statuses = s.scalars(select(Message.status).where(Message.direction == "out")).all()
        return bool(statuses) and all(st == "read" for st in statuses)

    wait_for(settled, timeout=20)
    engines = [engine] if intake_engine is engine else [engine, intake_engine]
    assert found(engines)  # the needles are really there before

    # The customer asks for their data first.
    archive = owner.get(f"/inbox/contacts/{contact_id}/personal-data")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = z.namelist()
        data = json.loads(z.read("data.json"))
        messages_csv = z.read("messages.csv").decode()
    assert {"README.txt", "data.json", "messages.csv", "orders.csv", "consent.csv"} <= set(names)
    assert any(n.startswith("media/") for n in names)
    assert data["contact"]["wa_id"] == PHONE and "Melati Nomor 7" in messages_csv
    assert data["orders"][0]["items"][0]["quantity"] == 2
    assert data["consent"][0]["granted"] is True

    before = summary(niaga, factory, admin)
    r = api(niaga, "DELETE", f"/contacts/{contact_id}/personal-data", admin)
    assert r.status_code == 200 and r.json()["erased"] is True
    assert found(engines) == []
    # A backup made now holds nothing of them either.
    path, _ = backups.make(niaga.settings, tmp_path)
    with backups.opened(niaga.settings, path) as (work, manifest):
        if (work / "db.dump").exists():
            subprocess.run(
                ["pg_restore", "--file", str(work / "db.sql"), str(work / "db.dump")], check=True
            )
        copied = b"".join(
            (work / name).read_bytes()
            for name in ("db.sqlite", "intake.sqlite", "db.sql")
            if (work / name).exists()
        )
        assert manifest["counts"]["contacts"] == 2
        assert not [f for f in manifest["files"] if media_id in f]
    assert [n for n in NEEDLES if n.encode() in copied] == []
    assert not list(media_dir.glob(f"{media_id}*"))
    assert summary(niaga, factory, admin) == before
    with factory() as s:
        erased = s.get(Contact, contact_id)
        assert erased.erased_at is not None and erased.phone is None
        assert s.get(Order, order_id).total == 300_000  # the sale still counts
        assert s.scalars(select(PrivacyRequest.kind).order_by(PrivacyRequest.id)).all() == [
            "export",
            "erasure",
        ]
        kinds = s.scalars(select(AuditEntry.kind)).all()
    assert "privacy.erasure" in kinds and "data.export" in kinds
    # The other customer is untouched; search no longer finds the erased one.
    listing = owner.get("/inbox/list", params={"q": "Rahmawati"}).text
    assert "Rahmawati" not in listing
    assert "Budi Santoso" in owner.get("/inbox/list", params={"q": "Budi"}).text
    # The panel says so; the customer may write again and is a new, unknown person.
    view = owner.get(f"/inbox/c/{conversation_id}").text
    assert "Dihapus pada" in view or "Erased on" in view
    sb.send(PHONE, type="text", text="halo lagi")
    assert wait_for(lambda: contact_of(factory, PHONE)) not in (None, contact_id)
    assert owner_id


def test_erasure_needs_the_right_person_and_a_confirmation(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    make_user(factory, "owner")
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Siti Rahmawati")
    sb.send(PHONE, type="text", text="halo")
    contact_id = wait_for(lambda: contact_of(factory, PHONE))
    agent = login(niaga.url, "agent@toko.test")
    assert agent.get(f"/inbox/contacts/{contact_id}/personal-data").status_code == 403
    r = agent.post(
        f"/inbox/contacts/{contact_id}/erase", data={"csrf_token": csrf(agent), "confirm": "HAPUS"}
    )
    assert r.status_code == 403
    owner = login(niaga.url, "owner@toko.test")
    r = owner.post(
        f"/inbox/contacts/{contact_id}/erase", data={"csrf_token": csrf(owner), "confirm": "ya"}
    )
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    with factory() as s:
        assert s.get(Contact, contact_id).erased_at is None
    r = owner.post(
        f"/inbox/contacts/{contact_id}/erase",
        data={"csrf_token": csrf(owner), "confirm": "hapus"},
    )
    assert r.status_code == 303
    with factory() as s:
        assert s.get(Contact, contact_id).erased_at is not None
    assert httpx.get(f"{niaga.url}/api/v1/contacts/{contact_id}/personal-data").status_code == 401
    agent_token = token(factory, "agent")
    assert (
        api(niaga, "GET", f"/contacts/{contact_id}/personal-data", agent_token).status_code == 403
    )
    assert (
        api(niaga, "DELETE", "/contacts/99999/personal-data", token(factory, "admin")).status_code
        == 404
    )
