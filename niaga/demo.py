"""A believable demo shop, seeded through the same paths real webhooks take."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.core.db import transaction
from niaga.security.models import ApiToken, User
from niaga.security.tokens import do_create_token
from niaga.security.users import do_create_user

log = logging.getLogger(__name__)

CUSTOMERS: list[tuple[str, str, list[str | dict[str, Any]]]] = [
    (
        "6281234567801",
        "Siti Rahmawati",
        ["Halo kak, gamis ukuran L masih ada?", "Warna navy ya kak"],
    ),
    ("6281234567802", "Budi Santoso", ["Pesanan saya #10023 sudah dikirim belum ya?"]),
    (
        "6285712345603",
        "Dewi Lestari",
        [
            "Kak, bisa COD ke Bekasi?",
            {
                "type": "location",
                "latitude": -6.2383,
                "longitude": 106.9756,
                "name": "Rumah",
                "address": "Jl. Ahmad Yani No. 12, Bekasi",
            },
            "Ongkirnya berapa?",
        ],
    ),
    ("6287812345604", "Agus Pratama", ["psnan sy blm smpe kak, udh 5 hari"]),
    ("6281398765405", "Rina Wulandari", ["Terima kasih kak, bajunya bagus banget 😍"]),
    ("6282112345606", "Putu Ayu", ["Promo Lebaran masih berlaku?"]),
    (
        "6281311112207",
        "Hendra Gunawan",
        [
            "Mau pesan ini kak",
            {
                "type": "order",
                "text": "Tolong kirim ke Depok ya",
                "items": [
                    {"sku": "gamis-navy-l", "quantity": 2, "price": 185000},
                    {"sku": "hijab-segi-4", "quantity": 1, "price": 45000},
                ],
            },
        ],
    ),
    ("6285655553308", "Lestari Handayani", [{"type": "image", "caption": "Yang ini ready kak?"}]),
]

TEAMS = {
    "Penjualan": ("Pertanyaan produk dan pesanan baru", ["rani@tokosari.id"]),
    "Dukungan": ("Status pesanan, pembayaran, pengiriman", ["yoga@tokosari.id"]),
    "Keluhan": ("Keluhan pelanggan", ["yoga@tokosari.id", "maya@tokosari.id"]),
}
LABELS = {
    "Pertanyaan Produk": "#2563eb",
    "Pesanan Baru": "#16a34a",
    "Status Pesanan": "#0891b2",
    "Pembayaran": "#ca8a04",
    "Pengiriman": "#7c3aed",
    "Keluhan": "#dc2626",
    "Pelanggan Setia": "#db2777",
    "Masalah Terselesaikan": "#059669",
}
QUICK_REPLIES = [
    (
        "salam",
        "Salam pembuka",
        "Halo kak {{nama}} 👋 Terima kasih sudah menghubungi {{toko}}. "
        "Saya {{agen}}, ada yang bisa saya bantu?",
    ),
    (
        "ongkir",
        "Ongkos kirim",
        "Ongkir Jabodetabek Rp10.000, Jawa Rp18.000, luar Jawa mulai "
        "Rp25.000 ya kak. Gratis ongkir untuk belanja di atas Rp300.000 🚚",
    ),
    (
        "rekening",
        "Cara bayar",
        "Pembayaran bisa transfer ke BCA 1234567890 a.n. Toko Sari, "
        "QRIS, atau COD (Jabodetabek). Setelah transfer mohon kirim bukti ya kak 🙏",
    ),
    ("jam", "Jam buka", "Kami buka Senin-Sabtu 08.00-20.00 WIB, Minggu 10.00-16.00 WIB."),
    (
        "resi",
        "Nomor resi",
        "Pesanan kakak sudah dikirim dengan {{kurir}}, nomor resi {{resi}}. "
        "Bisa dicek di situs kurirnya ya.",
    ),
    ("makasih", "Penutup", "Terima kasih kak {{nama_depan}}, ditunggu order berikutnya 😊"),
]

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
        from niaga.automation.defaults import do_seed_defaults

        do_seed_defaults(session)  # the retail rule set with its labels and teams
        _seed_organisation(session)
        _seed_loyalty(session)
        session.query(ApiToken).filter(ApiToken.name == "demo").delete()
        _, secret = do_create_token(session, name="demo", role="agent")
    return {"token": secret}


DEMO_REWARDS = (
    ("Diskon Rp25.000", "discount_amount", 25_000, 100),
    ("Diskon 10%", "discount_percent", 10, 250),
    ("Tote bag Toko Sari", "gift", 0, 400),
)


def _seed_loyalty(session: Session) -> None:
    """Three rewards and the loyal customers' group, so POIN and TUKAR answer at once."""
    from niaga.community.groups import ensure_loyal
    from niaga.loyalty.models import LoyaltyReward
    from niaga.loyalty.rewards import RewardIn, do_save

    for name, kind, value, cost in DEMO_REWARDS:
        if session.scalars(select(LoyaltyReward.id).where(LoyaltyReward.name == name)).first():
            continue
        do_save(session, RewardIn(name=name, kind=kind, value=value, cost_points=cost))  # type: ignore[arg-type]
    ensure_loyal(session)


def _seed_organisation(session: Session) -> None:
    """Teams with their agents, labels and quick replies (idempotent)."""
    from niaga.inbox.models import QuickReply
    from niaga.inbox.organise import get_or_create_label
    from niaga.inbox.quick_replies import do_save_quick_reply
    from niaga.security.teams import do_add_member, get_or_create_team

    for name, (description, emails) in TEAMS.items():
        team = get_or_create_team(session, name)
        team.description = description
        for email in emails:
            user = session.scalars(select(User).where(User.email == email)).first()
            if user is not None:
                do_add_member(session, team, user)
    for name, color in LABELS.items():
        get_or_create_label(session, name, color)
    for shortcut, title, body in QUICK_REPLIES:
        if session.scalars(select(QuickReply.id).where(QuickReply.shortcut == shortcut)).first():
            continue
        do_save_quick_reply(session, shortcut=shortcut, title=title, body=body)


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
    for phone, name, items in CUSTOMERS:
        customer = sandbox.state.customers.setdefault(phone, Customer(phone=phone, name=name))
        for item in items:
            request = item if isinstance(item, dict) else {"type": "text", "text": item}
            await sandbox.customer_sends(customer, InboundRequest(**request))
    for _ in range(100):  # the webhooks are processed in the background
        with factory() as session:
            count = session.scalar(select(func.count()).select_from(Conversation))
        if count and count >= len(CUSTOMERS):
            break
        await asyncio.sleep(0.1)
    # The automation queue works on the same chats meanwhile (labels, routing): on PostgreSQL
    # the two can collide (a lock timeout or deadlock aborts one); the demo tries again.
    from sqlalchemy.exc import OperationalError

    for attempt in range(5):
        try:
            await asyncio.to_thread(_organise_demo_chats, factory)
            return
        except OperationalError:
            log.warning("organising the demo chats collided (try %d); again", attempt + 1)
            await asyncio.sleep(1.0)


def _organise_demo_chats(factory: sessionmaker[Session]) -> None:
    """Put the demo chats in the states a real shop's inbox has: assigned, labelled,
    answered, waiting, pending and resolved, with a private note."""
    from niaga.channels.whatsapp.outgoing import parse_outgoing
    from niaga.contacts.models import Contact, Label
    from niaga.inbox import organise
    from niaga.inbox import service as inbox
    from niaga.inbox.models import Conversation
    from niaga.security.models import Team

    with transaction(factory) as session:
        by_phone = {
            c.phone: conv
            for conv, c in session.execute(
                select(Conversation, Contact).join(Contact, Contact.id == Conversation.contact_id)
            )
        }
        users = {u.email: u for u in session.scalars(select(User))}
        teams = {t.name: t for t in session.scalars(select(Team))}
        labels = {lb.name: lb for lb in session.scalars(select(Label))}

        def conv(phone: str) -> Any:
            return by_phone.get(f"+{phone}")

        def setup(phone: str, *, label: str, team: str, agent: str | None) -> Any:
            c = conv(phone)
            if c is None:
                return None
            organise.do_add_conversation_label(session, c, labels[label])
            user = users.get(agent) if agent else None
            organise.do_assign(
                session, c, user_id=user.id if user else None, team_id=teams[team].id
            )
            return c

        def reply(c: Any, agent: str, text: str) -> None:
            user = users[agent]
            inbox.do_send_message(
                session, c, parse_outgoing({"type": "text", "body": text}), user_id=user.id
            )

        siti = setup(
            "6281234567801", label="Pertanyaan Produk", team="Penjualan", agent="rani@tokosari.id"
        )
        if siti is not None:
            reply(
                siti,
                "rani@tokosari.id",
                "Halo kak Siti 👋 Gamis L warna navy ready, "
                "harganya Rp185.000. Mau langsung dipesan?",
            )
        budi = setup(
            "6281234567802", label="Status Pesanan", team="Dukungan", agent="yoga@tokosari.id"
        )
        if budi is not None:
            reply(
                budi,
                "yoga@tokosari.id",
                "Sudah kak, dikirim kemarin dengan JNE. Resi JNE0012345678 ya.",
            )
            organise.do_set_status(session, budi, "pending")
        setup("6285712345603", label="Pengiriman", team="Penjualan", agent=None)
        agus = setup("6287812345604", label="Keluhan", team="Keluhan", agent="maya@tokosari.id")
        if agus is not None:
            organise.do_add_note(
                session,
                agus,
                "Paket tertahan di gudang JNE Cakung, "
                "sudah saya tanyakan ke kurir. Kabari pelanggan besok pagi.",
                actor_user_id=users["maya@tokosari.id"].id,
            )
        rina = setup(
            "6281398765405",
            label="Masalah Terselesaikan",
            team="Dukungan",
            agent="yoga@tokosari.id",
        )
        if rina is not None:
            reply(rina, "yoga@tokosari.id", "Terima kasih kak Rina, senang sekali mendengarnya 😊")
            organise.do_add_contact_label(session, rina.contact_id, labels["Pelanggan Setia"])
            organise.do_set_status(session, rina, "resolved")
        setup("6281311112207", label="Pesanan Baru", team="Penjualan", agent="rani@tokosari.id")
