"""A believable demo shop, seeded through the same paths real webhooks take."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.channels.whatsapp.processor import process_pending
from niaga.core.config import get_settings
from niaga.core.db import transaction
from niaga.security.models import ApiToken, User
from niaga.security.tokens import do_create_token
from niaga.security.users import do_create_user

CUSTOMERS: list[tuple[str, str, list[str]]] = [
    (
        "6281234567801",
        "Siti Rahmawati",
        ["Halo kak, gamis ukuran L masih ada?", "Warna navy ya kak"],
    ),
    ("6281234567802", "Budi Santoso", ["Pesanan saya #10023 sudah dikirim belum ya?"]),
    ("6285712345603", "Dewi Lestari", ["Kak, bisa COD ke Bekasi?", "Ongkirnya berapa?"]),
    ("6287812345604", "Agus Pratama", ["psnan sy blm smpe kak, udh 5 hari"]),
    ("6281398765405", "Rina Wulandari", ["Terima kasih kak, bajunya bagus banget 😍"]),
    ("6282112345606", "Putu Ayu", ["Promo Lebaran masih berlaku?"]),
]

DEMO_USERS = [
    ("rani@tokosari.id", "Rani (Penjualan)", "agent"),
    ("yoga@tokosari.id", "Yoga (Dukungan)", "agent"),
    ("maya@tokosari.id", "Maya (Pemasaran)", "admin"),
]


def _payload(phone: str, name: str, text: str, n: int, ts: int) -> dict[str, Any]:
    settings = get_settings()
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": settings.wa_business_account_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": settings.wa_display_phone_number,
                                "phone_number_id": settings.wa_phone_number_id,
                            },
                            "contacts": [{"profile": {"name": name}, "wa_id": phone}],
                            "messages": [
                                {
                                    "from": phone,
                                    "id": f"wamid.DEMO{phone}{n:03d}",
                                    "timestamp": str(ts),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def seed_demo(
    factory: sessionmaker[Session], *, owner_email: str, owner_password: str
) -> dict[str, Any]:
    """Create the owner, the team, customers and chats (idempotent); returns a fresh token."""
    now = int(time.time())
    with transaction(factory) as session:
        if session.scalars(select(User.id).where(User.email == owner_email)).first() is None:
            do_create_user(
                session,
                email=owner_email,
                name="Sari (Pemilik)",
                password=owner_password,
                role="owner",
            )
        for email, name, role in DEMO_USERS:
            if session.scalars(select(User.id).where(User.email == email)).first() is None:
                do_create_user(session, email=email, name=name, password=owner_password, role=role)
        for i, (phone, name, texts) in enumerate(CUSTOMERS):
            for n, text in enumerate(texts):
                body = json.dumps(_payload(phone, name, text, n, now - 3600 * i + n * 60))
                session.add(WebhookEvent(body=body.encode()))
        session.query(ApiToken).filter(ApiToken.name == "demo").delete()
        _, secret = do_create_token(session, name="demo", role="agent")
    while process_pending(factory):
        pass
    return {"token": secret}
