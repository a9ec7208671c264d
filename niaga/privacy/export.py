"""A customer's own data, on request: one ZIP with everything as JSON, the main tables as CSV
(spreadsheet-safe) and the files they sent or were sent."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from niaga.campaigns.models import Campaign, CampaignRecipient
from niaga.contacts.models import ConsentEvent, Contact, ContactLabel, Label
from niaga.core import clock
from niaga.core.csv_safe import neutralise
from niaga.core.errors import NotFoundError
from niaga.inbox import media
from niaga.inbox.models import Conversation, Message
from niaga.loyalty.models import LoyaltyEntry, LoyaltyRedemption
from niaga.orders.models import Order, OrderItem
from niaga.privacy.models import PrivacyRequest
from niaga.security import audit

README = """Data pribadi Anda di {shop} / Your personal data at {shop}
Dibuat / made: {made}

data.json      semua data / everything
messages.csv   pesan / messages
orders.csv     pesanan / orders
consent.csv    persetujuan / consent
media/         berkas yang Anda kirim atau terima / files you sent or received
"""


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in skip:
            continue
        value = getattr(obj, attr.key)
        out[attr.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def collect(session: Session, contact_id: int) -> dict[str, Any]:
    """Everything Niaga holds about one customer, as plain data."""
    contact = session.get(Contact, contact_id) if contact_id < 2**62 else None
    if contact is None:
        raise NotFoundError("contact_not_found", "Customer not found.")
    orders = list(session.scalars(select(Order).where(Order.contact_id == contact_id)))
    items = list(
        session.scalars(select(OrderItem).where(OrderItem.order_id.in_([o.id for o in orders])))
    )
    sends = session.execute(
        select(CampaignRecipient, Campaign.name)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(CampaignRecipient.contact_id == contact_id)
    ).all()
    return {
        "contact": _row(contact),
        "labels": list(
            session.scalars(
                select(Label.name)
                .join(ContactLabel, ContactLabel.label_id == Label.id)
                .where(ContactLabel.contact_id == contact_id)
            )
        ),
        "consent": [
            _row(c)
            for c in session.scalars(
                select(ConsentEvent)
                .where(ConsentEvent.contact_id == contact_id)
                .order_by(ConsentEvent.id)
            )
        ],
        "conversations": [
            _row(c)
            for c in session.scalars(
                select(Conversation).where(Conversation.contact_id == contact_id)
            )
        ],
        "messages": [
            _row(m)
            for m in session.scalars(
                select(Message)
                .where(Message.contact_id == contact_id, Message.type != "note")
                .order_by(Message.id)
            )
        ],
        "orders": [
            {**_row(o), "items": [_row(i) for i in items if i.order_id == o.id]} for o in orders
        ],
        "loyalty_points": [
            _row(e)
            for e in session.scalars(
                select(LoyaltyEntry)
                .where(LoyaltyEntry.contact_id == contact_id)
                .order_by(LoyaltyEntry.id)
            )
        ],
        "reward_codes": [
            _row(r)
            for r in session.scalars(
                select(LoyaltyRedemption).where(LoyaltyRedemption.contact_id == contact_id)
            )
        ],
        "campaign_messages": [
            {**_row(r, skip=("link_code",)), "campaign": name} for r, name in sends
        ],
    }


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                neutralise(json.dumps(row.get(c), ensure_ascii=False))
                if isinstance(row.get(c), dict | list)
                else neutralise(row.get(c))
                for c in columns
            ]
        )
    return out.getvalue()


def do_export(
    session: Session, contact_id: int, *, data_dir: Path, shop: str, by_user_id: int | None
) -> bytes:
    """The customer's archive (a ZIP); the request is recorded and audited."""
    data = collect(session, contact_id)
    buffer = io.BytesIO()
    files = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(shop=shop, made=clock.now().isoformat()))
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        archive.writestr(
            "messages.csv",
            _csv(
                data["messages"],
                ["id", "created_at", "direction", "type", "text", "status", "origin"],
            ),
        )
        archive.writestr(
            "orders.csv",
            _csv(
                data["orders"],
                ["number", "created_at", "status", "total", "shipping_address", "items"],
            ),
        )
        archive.writestr(
            "consent.csv",
            _csv(data["consent"], ["created_at", "purpose", "granted", "source", "proof"]),
        )
        for message in session.scalars(select(Message).where(Message.contact_id == contact_id)):
            found = media.media_of(message)
            if found.media_id:
                path = data_dir / "media" / "in" / found.media_id
            elif found.link and "/media/out/" in found.link:
                path = (
                    data_dir
                    / "media"
                    / "out"
                    / found.link.split("/media/out/", 1)[1].split("?", 1)[0]
                )
            else:
                continue
            if path.is_file() and path.parent.name in ("in", "out"):
                archive.write(path, f"media/{message.id}-{path.name}")
                files += 1
    summary = {
        "messages": len(data["messages"]),
        "orders": len(data["orders"]),
        "files": files,
    }
    session.add(
        PrivacyRequest(
            contact_id=contact_id,
            kind="export",
            completed_at=clock.now(),
            by_user_id=by_user_id,
            summary=summary,
        )
    )
    audit.record(
        session,
        "data.export",
        target=("contact", contact_id),
        details={"kind": "customer", **summary},
    )
    return buffer.getvalue()
