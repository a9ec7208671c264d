"""A believable demo shop, seeded through the same paths real webhooks take."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

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

DEMO_TEAMS = {
    "rani@tokosari.id": ["Penjualan"],
    "yoga@tokosari.id": ["Dukungan", "Keluhan"],
}

DEMO_USERS = [
    ("rani@tokosari.id", "Rani (Penjualan)", "agent"),
    ("yoga@tokosari.id", "Yoga (Dukungan)", "agent"),
    ("maya@tokosari.id", "Maya (Pemasaran)", "admin"),
]


def seed_demo(
    factory: sessionmaker[Session], *, owner_email: str, owner_password: str
) -> dict[str, Any]:
    """Create the owner and the team (idempotent); returns a fresh API token.

    The customers' chats come later, through the sandbox (:func:`seed_demo_chats`).
    """
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
        from niaga.automation.defaults import do_join_demo_teams, do_seed_defaults

        do_seed_defaults(session)
        do_join_demo_teams(session, DEMO_TEAMS)
        session.query(ApiToken).filter(ApiToken.name == "demo").delete()
        _, secret = do_create_token(session, name="demo", role="agent")
    return {"token": secret}


async def seed_demo_chats(sandbox: Any, factory: sessionmaker[Session]) -> None:
    """Demo customers write to the shop through the sandbox, once (when there are no chats).

    Their messages reach Niaga as signed webhooks, exactly as real customers' would.
    """
    from niaga.channels.sandbox.customers import InboundRequest
    from niaga.channels.sandbox.state import Customer
    from niaga.inbox.models import Conversation

    with factory() as session:
        if session.scalars(select(Conversation.id).limit(1)).first() is not None:
            return
    await asyncio.sleep(1.0)  # let the server start listening for the sandbox's webhooks
    for phone, name, texts in CUSTOMERS:
        customer = sandbox.state.customers.setdefault(phone, Customer(phone=phone, name=name))
        for text in texts:
            await sandbox.customer_sends(customer, InboundRequest(type="text", text=text))
