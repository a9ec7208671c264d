"""Team inbox reads: server time of the conversation list and of opening a thread.

Fills a fresh database with a busy shop (100,000 contacts and conversations, 1,000,000
messages over ~90 days, 10 agents in 3 teams, labels, notes, media), runs the real app under
uvicorn on loopback with a small ASGI middleware that puts the time spent inside the app in
a ``Server-Timing`` header, signs in through the login form and requests each page a few
hundred times, one request at a time. Prints median / p95 / p99 of the server time per page
and the size of the database. Usage::

    python bench/inbox.py                       # SQLite file in a temp dir
    python bench/inbox.py --db postgres         # a fresh PostgreSQL database, dropped after
    python bench/inbox.py --conversations 20000 --messages 200000 --requests 100
    python bench/inbox.py --keep                # keep the SQLite file, print its URL
    python bench/inbox.py --url sqlite:////tmp/x/bench.db   # measure an already filled db
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
sys.path.insert(0, ROOT)

PASSWORD = "bench-rahasia-123"
OWNER_EMAIL = "owner@toko.test"
PHONE_NUMBER_ID = "106540352242922"
DAYS = 90

# ---------------------------------------------------------------------------- what a shop says


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Siti Dewi Ayu Putri Sri Rina Wulan Indah Fitri Nur Lestari Ratna Yuni Maya Intan "
    "Rizky Budi Agus Andi Eko Dedi Hendra Joko Rudi Bambang Asep Ahmad Muhammad Fajar "
    "Rian Dimas Yusuf Ilham Bayu Hadi Teguh Wahyu Ketut Made Nyoman Putu Gede Komang "
    "Ujang Cecep Ikhsan"
)
LAST = _words(
    "Rahmawati Susanti Lestari Wijaya Saputra Santoso Hidayat Nugroho Pratama Kurniawan "
    "Setiawan Gunawan Siregar Nasution Harahap Simanjuntak Sihombing Lubis Tanjung "
    "Sitompul Wibowo Purnomo Suryadi Hakim Rahman Halim Kusuma Permana Utami Anggraini "
    "Maharani Pertiwi Handayani Puspita Sari Yulianti Fauzi Ramadhan Syahputra Firmansyah "
    "Hartono"
)
CITIES = _words(
    "Jakarta Bandung Surabaya Medan Semarang Makassar Palembang Depok Tangerang Bekasi "
    "Bogor Malang Yogyakarta Denpasar Pekanbaru Padang Pontianak Banjarmasin Manado "
    "Balikpapan Solo"
)
PRODUCTS = (
    "gamis motif bunga",
    "hijab segi empat",
    "kemeja batik pria",
    "sepatu sneakers",
    "tas selempang kulit",
    "kaos polos cotton combed",
    "celana jeans slim fit",
    "mukena katun jepang",
    "sarung tenun",
    "jaket hoodie",
    "daster rayon",
    "sandal jepit karet",
    "kopi arabika gayo 250g",
    "keripik pisang",
    "sambal bawang",
    "madu hutan 500ml",
)
COLORS = ["hitam", "putih", "navy", "maroon", "mocca", "sage", "hijau", "merah", "abu", "cream"]
SIZES = ["S", "M", "L", "XL", "XXL", "38", "39", "40", "41", "42"]
COURIERS = ["JNE", "J&T", "SiCepat", "AnterAja", "Ninja", "POS", "GoSend", "GrabExpress"]
IN_TEXTS = (
    "Halo kak, {product} masih ready?",
    "Kak, pesanan {order} sudah dikirim belum?",
    "Berapa ongkir ke {city} kak?",
    "Bisa COD ke {city}?",
    "Sudah transfer ya kak, mohon dicek 🙏",
    "Ukuran {size} ada kak?",
    "Warna {color} masih ada?",
    "Terima kasih kak 🙏",
    "Kapan sampai ya kak? Saya di {city}",
    "Resi pesanan {order} berapa kak?",
    "Barangnya rusak kak, bisa retur? Pesanan {order}",
    "Minta katalog terbaru dong kak",
    "Ok kak",
    "Siap kak, ditunggu",
    "Mau pesan {product} 2 pcs warna {color}",
    "Kak, bisa kirim hari ini?",
    "Ada diskon untuk reseller kak?",
    "Pembayaran bisa lewat QRIS?",
    "Alamat saya Jl. Merdeka No. {n}, {city}",
    "Pesanan {order} kok belum sampai ya kak",
)
OUT_TEXTS = (
    "Halo kak {name}, {product} ready ya 😊",
    "Pesanan {order} sudah dikirim via {courier}, resi {resi}",
    "Ongkir ke {city} Rp{ongkir}.000 ya kak",
    "Total pembayaran Rp{total}.000, transfer ke BCA 1234567890 a.n. Toko Niaga",
    "Terima kasih kak, ditunggu orderan berikutnya 🙏",
    "Baik kak, kami cek dulu ya",
    "Pembayaran sudah kami terima kak, pesanan {order} diproses hari ini",
    "Ukuran {size} warna {color} ready kak",
    "Mohon maaf kak, {product} sedang kosong. Restock minggu depan",
    "Bisa kak, COD tersedia untuk {city}",
    "Untuk retur silakan kirim foto barang dan nomor pesanan {order} ya kak",
    "Siap kak, pesanan dicatat",
)
NOTES = (
    "Pelanggan minta dikirim besok pagi",
    "Sudah cek mutasi, dana masuk",
    "Komplain ke kurir {courier}, paket {order} tertahan",
    "Pelanggan lama, kasih bonus stiker",
    "Reseller, harga grosir",
    "Tunggu konfirmasi gudang soal stok {product}",
)
LABELS = (
    ("Keluhan", "#dc2626", 0.04),
    ("Pelanggan Setia", "#16a34a", 0.08),
    ("VIP", "#9333ea", 0.02),
    ("Grosir", "#2563eb", 0.03),
    ("Reseller", "#0891b2", 0.05),
    ("COD", "#ea580c", 0.06),
    ("Retur", "#b91c1c", 0.01),
    ("Promo Ramadan", "#ca8a04", 0.05),
    ("Menunggu Pembayaran", "#f59e0b", 0.04),
    ("Sudah Bayar", "#22c55e", 0.07),
    ("Dropship", "#64748b", 0.02),
    ("Komplain Kurir", "#be123c", 0.005),
)
TEAMS = ("Penjualan", "Dukungan", "Keluhan")
AGENTS = (
    "Rina Kusuma",
    "Dedi Santoso",
    "Maya Lestari",
    "Fajar Nugroho",
    "Indah Permata",
    "Bayu Saputra",
    "Wulan Sari",
    "Yusuf Hakim",
    "Ayu Pertiwi",
)
# (type, share) of non-note messages; the rest are text.
MEDIA = (("image", 0.06), ("document", 0.015), ("audio", 0.02), ("sticker", 0.01))
OTHER = (("location", 0.004), ("interactive:button_reply", 0.01), ("reaction", 0.01))


def _fill_text(template: str, rnd: random.Random, conv: int, name: str) -> str:
    return template.format(
        product=rnd.choice(PRODUCTS),
        order=f"INV{conv:06d}{rnd.randrange(10)}",
        city=rnd.choice(CITIES),
        size=rnd.choice(SIZES),
        color=rnd.choice(COLORS),
        courier=rnd.choice(COURIERS),
        resi=f"{rnd.choice(('JP', 'CGK', 'SCP'))}{rnd.randrange(10**9, 10**10)}",
        ongkir=rnd.randrange(9, 60),
        total=rnd.randrange(50, 2000),
        n=rnd.randrange(1, 300),
        name=name,
    )


# ---------------------------------------------------------------------------- the fill


@dataclass
class Plan:
    """What the fill produced that the measuring needs."""

    conversations: int = 0
    messages: int = 0
    owner_id: int = 0
    label_ids: dict[str, int] = field(default_factory=dict)
    largest: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    fill_seconds: float = 0.0


def _message_counts(rnd: random.Random, conversations: int, messages: int) -> list[int]:
    """Messages per conversation: mostly short chats, a long tail, a few of thousands."""
    heavy = set(rnd.sample(range(conversations), max(1, conversations // 5000)))
    big = {i: min(rnd.randint(1000, 4000), messages // 20) for i in heavy}
    weights = [0.0 if i in heavy else rnd.lognormvariate(0, 1.1) for i in range(conversations)]
    total = sum(weights)
    spare = messages - conversations - sum(big.values())  # every chat has one message at least
    counts = [big[i] if i in heavy else 1 + int(w / total * spare) for i, w in enumerate(weights)]
    short = messages - sum(counts)
    for i in rnd.sample(range(conversations), min(abs(short), conversations)):
        counts[i] += 1 if short > 0 else (-1 if counts[i] > 1 else 0)
    return counts


def fill(url: str, conversations: int, messages: int, seed: int = 7) -> Plan:
    """Fill the database at ``url`` (migrated, empty) with a busy shop, in bulk."""
    from sqlalchemy import event, insert, text

    from niaga.contacts.models import Contact, ContactLabel, Label
    from niaga.core.db import make_engine, make_sessionmaker, transaction
    from niaga.inbox.models import Conversation, ConversationActivity, ConversationLabel, Message
    from niaga.inbox.service import preview
    from niaga.security.models import Team, TeamMember, User
    from niaga.security.users import do_create_user

    started = time.perf_counter()
    rnd = random.Random(seed)
    plan = Plan(conversations=conversations, messages=messages)
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # A bulk load needs no fsync per commit (runs after make_engine's own pragmas).
        event.listen(engine, "connect", lambda c, _r: c.execute("PRAGMA synchronous=OFF"))
    now = datetime.now(UTC).replace(microsecond=0)
    begin = now - timedelta(days=DAYS)

    with transaction(make_sessionmaker(engine)) as s:
        owner = do_create_user(
            s, email=OWNER_EMAIL, name="Pemilik Toko", password=PASSWORD, role="owner"
        )
        plan.owner_id = owner.id
        password_hash = owner.password_hash

    with engine.begin() as conn:
        stamp = {"created_at": begin, "updated_at": begin}
        conn.execute(
            insert(User),
            [
                {
                    "email": f"agent{i + 1}@toko.test",
                    "name": name,
                    "password_hash": password_hash,
                    "role": "agent",
                    "locale": "id",
                    "is_active": True,
                    "available": True,
                    "capacity": 40,
                    **stamp,
                }
                for i, name in enumerate(AGENTS)
            ],
        )
        agents = conn.scalars(text("SELECT id FROM users WHERE role = 'agent' ORDER BY id"))
        agent_ids = [plan.owner_id, *agents]
        conn.execute(insert(Team), [{"name": t, **stamp} for t in TEAMS])
        team_ids = list(conn.scalars(text("SELECT id FROM teams ORDER BY id")))
        team_of = {uid: team_ids[i % len(team_ids)] for i, uid in enumerate(agent_ids)}
        conn.execute(
            insert(TeamMember),
            [{"team_id": team_of[u], "user_id": u, "created_at": begin} for u in agent_ids],
        )
        conn.execute(
            insert(Label),
            [{"name": n, "color": c, "description": None, **stamp} for n, c, _ in LABELS],
        )
        plan.label_ids = dict(conn.execute(text("SELECT name, id FROM labels")).all())

    # Conversations start uniformly over the period; ids follow the start time.
    counts = _message_counts(rnd, conversations, messages)
    span_s = DAYS * 86400
    starts = sorted(rnd.random() * span_s * 0.98 for _ in range(conversations))
    # Every message: (seconds since begin, conversation index); later sorted by time.
    timeline: list[tuple[float, int]] = []
    for ci, (start, n) in enumerate(zip(starts, counts, strict=True)):
        left = span_s - start
        # Long chats are long-running customer relationships.
        length = left if n > 200 else min(left, rnd.uniform(600, 3 * 86400) * (1 + n / 10))
        times = sorted(start + rnd.random() * length for _ in range(n - 1))
        timeline.append((start, ci))
        timeline.extend((t, ci) for t in times)
    timeline.sort()
    plan.largest = [i + 1 for i in sorted(range(conversations), key=lambda i: -counts[i])[:20]]

    names = [f"{rnd.choice(FIRST)} {rnd.choice(LAST)}" for _ in range(conversations)]
    phones = []
    used: set[int] = set()
    for _ in range(conversations):
        while True:
            number = rnd.randrange(10**9, 10**10)
            if number not in used:
                used.add(number)
                break
        phones.append(f"+628{rnd.choice('1235789')}{number}")
    plan.names = names[:: max(1, conversations // 200)]
    plan.phones = [p[-7:] for p in phones[:: max(1, conversations // 200)]]

    # Assignment and status: recent chats are mostly open, old ones mostly resolved.
    last_at = [0.0] * conversations
    for t, ci in timeline:
        last_at[ci] = t
    status = []
    for ci in range(conversations):
        age_days = (span_s - last_at[ci]) / 86400
        r = rnd.random()
        if age_days < 7:
            status.append("open" if r < 0.55 else "pending" if r < 0.7 else "resolved")
        else:
            status.append("open" if r < 0.08 else "pending" if r < 0.12 else "resolved")
    assignee: list[int | None] = []
    for ci in range(conversations):
        unassigned_share = 0.35 if status[ci] == "open" else 0.05
        assignee.append(None if rnd.random() < unassigned_share else rnd.choice(agent_ids))

    # Messages, in time order (ids grow with time across conversations, as in real life).
    def at(seconds: float) -> datetime:
        return begin + timedelta(seconds=seconds)

    last_wamid: dict[int, str] = {}
    last_shown: list[tuple[str, str | None, str, float] | None] = [None] * conversations
    last_in = [None] * conversations
    trailing_in = [0] * conversations
    msg_rows: list[dict[str, Any]] = []
    media_cum = list(itertools.accumulate(p for _, p in MEDIA + OTHER))
    media_kinds = [k for k, _ in MEDIA + OTHER]
    inserted = 0

    def flush_messages(conn: Any) -> None:
        nonlocal inserted
        if msg_rows:
            conn.execute(insert(Message), msg_rows)
            inserted += len(msg_rows)
            msg_rows.clear()

    # Contacts and conversations first (messages reference them); their last_message_* fields
    # are set after the messages, in one bulk UPDATE per batch.
    with engine.begin() as conn:
        for lo in range(0, conversations, 10_000):
            hi = min(conversations, lo + 10_000)
            conn.execute(
                insert(Contact),
                [
                    {
                        "id": i + 1,
                        "phone": phones[i],
                        "wa_id": phones[i][1:],
                        "profile_name": names[i],
                        "display_name": names[i].split()[0] + " (reseller)"
                        if i % 23 == 0
                        else None,
                        "marketing_opt_out": i % 41 == 0,
                        "attributes": {"kota": CITIES[i % len(CITIES)]} if i % 7 == 0 else {},
                        "created_at": at(starts[i]),
                        "updated_at": at(starts[i]),
                    }
                    for i in range(lo, hi)
                ],
            )
            conn.execute(
                insert(Conversation),
                [
                    {
                        "id": i + 1,
                        "contact_id": i + 1,
                        "phone_number_id": PHONE_NUMBER_ID,
                        "status": status[i],
                        "unread_count": 0,
                        "assigned_user_id": assignee[i],
                        "team_id": team_of[assignee[i]]
                        if assignee[i]
                        else (team_ids[i % 3] if i % 4 == 0 else None),
                        "created_at": at(starts[i]),
                        "updated_at": at(starts[i]),
                    }
                    for i in range(lo, hi)
                ],
            )

    with engine.begin() as conn:
        msg_id = 0
        for t, ci in timeline:
            msg_id += 1
            conv_id = ci + 1
            r = rnd.random()
            direction = "in" if r < 0.52 else "out" if r < 0.95 else "note"
            if msg_id == 1 or last_shown[ci] is None:
                direction = "in"  # customers start the chat
            created = at(t)
            row: dict[str, Any] = {
                "id": msg_id,
                "conversation_id": conv_id,
                "contact_id": conv_id,
                "direction": direction,
                "wamid": None,
                "context_wamid": None,
                "forwarded": False,
                "referral": None,
                "status_at": None,
                "error_code": None,
                "error_title": None,
                "error_detail": None,
                "pricing": None,
                "sent_by_user_id": None,
                "created_at": created,
                "received_at": created,
            }
            if direction == "note":
                row.update(
                    type="note",
                    text=_fill_text(rnd.choice(NOTES), rnd, conv_id, names[ci]),
                    content={},
                    status="note",
                    origin="agent",
                    sent_by_user_id=assignee[ci] or plan.owner_id,
                )
                msg_rows.append(row)
                if len(msg_rows) >= 20_000:
                    flush_messages(conn)
                continue
            wamid = f"wamid.HB{msg_id:012d}"
            row["wamid"] = wamid
            k = bisect.bisect(media_cum, rnd.random())
            kind = media_kinds[k] if k < len(media_kinds) else "text"
            mtext: str | None
            content: dict[str, Any]
            if kind == "text":
                pool = IN_TEXTS if direction == "in" else OUT_TEXTS
                mtext = _fill_text(rnd.choice(pool), rnd, conv_id, names[ci].split()[0])
                content = {} if direction == "in" else {"type": "text", "body": mtext}
            elif kind in ("image", "document", "audio", "sticker"):
                caption = "bukti transfer" if kind == "image" and rnd.random() < 0.4 else None
                content = {
                    "id": f"{rnd.randrange(10**15, 10**16)}",
                    "mime_type": {
                        "image": "image/jpeg",
                        "document": "application/pdf",
                        "audio": "audio/ogg",
                        "sticker": "image/webp",
                    }[kind],
                }
                if direction == "out":
                    content = {"type": kind, "link": f"https://toko.test/media/out/{wamid}"}
                if kind == "document":
                    content["filename"] = f"invoice-INV{conv_id:06d}.pdf"
                if caption:
                    content["caption"] = caption
                mtext = caption or content.get("filename")
            elif kind == "location":
                content = {"latitude": -6.2, "longitude": 106.8, "name": rnd.choice(CITIES)}
                mtext = None
            elif kind == "reaction" and conv_id in last_wamid:
                mtext = rnd.choice(("👍", "🙏", "❤️", "😂"))
                content = {"message_id": last_wamid[conv_id], "emoji": mtext}
            else:
                kind = "interactive:button_reply" if direction == "in" else "text"
                mtext = rnd.choice(("Ya, lanjut", "Nanti dulu", "Cek ongkir"))
                content = {"id": "btn-1", "title": mtext}
            if direction == "in":
                status_, origin = "received", "customer"
                trailing_in[ci] += 1
                last_in[ci] = created
            else:
                origin = "agent" if rnd.random() < 0.9 else "automation"
                age = span_s - t
                q = rnd.random()
                status_ = (
                    "pending"
                    if age < 60 and q < 0.5
                    else "failed"
                    if q < 0.02
                    else "sent"
                    if q < 0.08
                    else "delivered"
                    if q < 0.3
                    else "read"
                )
                if status_ == "failed":
                    row.update(
                        error_code=131026,
                        error_title="Message undeliverable",
                        error_detail="Receiver is incapable of receiving this message",
                    )
                row["status_at"] = created
                row["sent_by_user_id"] = (
                    (assignee[ci] or plan.owner_id) if origin == "agent" else None
                )
                trailing_in[ci] = 0
            if conv_id in last_wamid and rnd.random() < 0.05:
                row["context_wamid"] = last_wamid[conv_id]
            row.update(type=kind, text=mtext, content=content, status=status_, origin=origin)
            last_wamid[conv_id] = wamid
            last_shown[ci] = (kind, mtext, direction, t)
            msg_rows.append(row)
            if len(msg_rows) >= 20_000:
                flush_messages(conn)
        flush_messages(conn)
    if not sqlite:
        with engine.begin() as conn:
            for table in ("contacts", "conversations", "messages"):
                conn.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )

    # The list's denormalised fields, consistent with the messages.
    from sqlalchemy import bindparam, update

    upd = (
        update(Conversation)
        .where(Conversation.id == bindparam("cid"))
        .values(
            last_message_at=bindparam("lm_at"),
            last_inbound_at=bindparam("li_at"),
            last_message_preview=bindparam("lm_preview"),
            last_message_direction=bindparam("lm_dir"),
            unread_count=bindparam("unread"),
            waiting_since=bindparam("waiting"),
            resolved_at=bindparam("resolved"),
        )
    )
    with engine.begin() as conn:
        batch = []
        for ci in range(conversations):
            kind, mtext, direction, t = last_shown[ci]  # type: ignore[misc]
            open_ = status[ci] != "resolved"
            batch.append(
                {
                    "cid": ci + 1,
                    "lm_at": at(t),
                    "li_at": last_in[ci],
                    "lm_preview": preview(kind, mtext),
                    "lm_dir": direction,
                    "unread": min(trailing_in[ci], 9) if open_ and direction == "in" else 0,
                    "waiting": last_in[ci] if open_ and assignee[ci] is None else None,
                    "resolved": None if open_ else at(t + 3600),
                }
            )
            if len(batch) >= 10_000:
                conn.execute(upd.execution_options(synchronize_session=False), batch)
                batch.clear()
        if batch:
            conn.execute(upd.execution_options(synchronize_session=False), batch)

        # Labels on some conversations and contacts, and the activity history.
        conv_labels, contact_labels, activities = [], [], []
        for ci in range(conversations):
            for name, _, share in LABELS:
                if rnd.random() < share:
                    conv_labels.append(
                        {
                            "conversation_id": ci + 1,
                            "label_id": plan.label_ids[name],
                            "added_by_user_id": assignee[ci],
                            "rule_id": None,
                            "created_at": at(starts[ci]),
                        }
                    )
            if ci % 9 == 0:
                contact_labels.append(
                    {
                        "contact_id": ci + 1,
                        "label_id": plan.label_ids["Pelanggan Setia"],
                        "added_by_user_id": None,
                        "rule_id": None,
                        "created_at": at(starts[ci]),
                    }
                )
            if assignee[ci]:
                activities.append(
                    {
                        "conversation_id": ci + 1,
                        "kind": "assigned",
                        "data": {"user_id": assignee[ci], "team_id": team_of[assignee[ci]]},
                        "actor_user_id": None if ci % 3 else plan.owner_id,
                        "rule_id": None,
                        "created_at": at(starts[ci] + 60),
                    }
                )
            if status[ci] != "open":
                activities.append(
                    {
                        "conversation_id": ci + 1,
                        "kind": "status",
                        "data": {"status": status[ci]},
                        "actor_user_id": assignee[ci],
                        "rule_id": None,
                        "created_at": at(last_at[ci] + 60),
                    }
                )
        for table, rows in (
            (ConversationLabel, conv_labels),
            (ContactLabel, contact_labels),
            (ConversationActivity, activities),
        ):
            for lo in range(0, len(rows), 20_000):
                conn.execute(insert(table), rows[lo : lo + 20_000])
    plan.orders = [f"INV{rnd.randrange(1, conversations + 1):06d}" for _ in range(50)]
    if sqlite:
        raw = engine.raw_connection()  # outside any transaction
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    else:
        # Autovacuum would analyse the new rows within a minute; do it now.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    plan.fill_seconds = time.perf_counter() - started
    return plan


def plan_of(url: str) -> Plan:
    """What the measuring needs, read back from an already filled database."""
    from sqlalchemy import text

    from niaga.core.db import make_engine

    engine = make_engine(url)
    plan = Plan()
    with engine.connect() as conn:
        plan.conversations = conn.scalar(text("SELECT count(*) FROM conversations")) or 0
        plan.messages = conn.scalar(text("SELECT max(id) FROM messages")) or 0
        plan.owner_id = conn.scalar(
            text("SELECT id FROM users WHERE email = :e"), {"e": OWNER_EMAIL}
        )
        plan.label_ids = dict(conn.execute(text("SELECT name, id FROM labels")).all())
        plan.largest = list(
            conn.scalars(
                text(
                    "SELECT conversation_id FROM messages GROUP BY conversation_id "
                    "ORDER BY count(*) DESC LIMIT 20"
                )
            )
        )
        step = max(1, plan.conversations // 200)
        rows = conn.execute(
            text("SELECT profile_name, phone FROM contacts WHERE id % :s = 1"), {"s": step}
        ).all()
        plan.names = [r[0] for r in rows]
        plan.phones = [r[1][-7:] for r in rows]
    engine.dispose()
    rnd = random.Random(11)
    plan.orders = [f"INV{rnd.randrange(1, plan.conversations + 1):06d}" for _ in range(50)]
    return plan


# ---------------------------------------------------------------------------- databases


@contextmanager
def existing(url: str) -> Iterator[str]:
    """An already filled database, left as it is."""
    yield url


def describe(url: str) -> str:
    """A line on what the data looks like."""
    from sqlalchemy import text

    from niaga.core.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(text("SELECT status, count(*) FROM conversations GROUP BY 1")).all()
        )
        unassigned = conn.scalar(
            text(
                "SELECT count(*) FROM conversations "
                "WHERE status = 'open' AND assigned_user_id IS NULL"
            )
        )
        labelled = conn.scalar(text("SELECT count(*) FROM conversation_labels"))
        notes = conn.scalar(text("SELECT count(*) FROM messages WHERE direction = 'note'"))
        media = conn.scalar(
            text("SELECT count(*) FROM messages WHERE type IN ('image', 'document', 'audio')")
        )
        largest = conn.scalar(
            text(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM messages "
                "GROUP BY conversation_id) AS per_chat"
            )
        )
    engine.dispose()
    return (
        f"data: {statuses.get('open', 0):,} open ({unassigned:,} unassigned), "
        f"{statuses.get('pending', 0):,} pending, {statuses.get('resolved', 0):,} resolved; "
        f"{labelled:,} conversation labels; {notes:,} notes, {media:,} media messages; "
        f"largest thread {largest:,} messages"
    )


def database_size(url: str) -> int:
    """Bytes on disk: the SQLite file (and its WAL) or pg_database_size."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


# ---------------------------------------------------------------------------- the server


class ServerTiming:
    """ASGI middleware: the time from request to response start, as ``Server-Timing``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = [*message.get("headers", []), (b"server-timing", b"app;dur=%.3f" % ms)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def timed_app() -> Any:
    """The real Niaga app (settings from the environment) inside :class:`ServerTiming`."""
    from niaga.web.app import create_app

    return ServerTiming(create_app())


@contextmanager
def server(url: str) -> Iterator[str]:
    """uvicorn with :func:`timed_app` on loopback (sandbox and background work off)."""
    from bench._server import free_port

    port = free_port()
    env = {
        **os.environ,
        "NIAGA_DATABASE_URL": url,
        "NIAGA_SANDBOX": "0",
        "NIAGA_EMBEDDED_WORKER": "0",
        "NIAGA_EMBEDDED_DISPATCH": "0",
        "NIAGA_REDIS_URL": "",
        "NIAGA_LOG_LEVEL": "warning",
        "PYTHONPATH": ROOT,
    }
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.inbox:timed_app",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(argv, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def sign_in(base: str) -> httpx.Client:
    """A client signed in as the owner through the real login form."""
    client = httpx.Client(base_url=base, timeout=60, headers={"Accept": "text/html"})
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError("no CSRF token on the login form")
    r = client.post(
        "/login",
        data={"email": OWNER_EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    if r.status_code != 303:
        raise RuntimeError(f"sign-in failed: HTTP {r.status_code}")
    return client


# ---------------------------------------------------------------------------- measuring


def _pct(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, max(0, math.ceil(p * len(sorted_ms)) - 1))]


def measure(client: httpx.Client, paths: list[str], warmup: int = 3) -> dict[str, float]:
    """Request each path in turn; the server times (ms) summarised."""
    for p in paths[:warmup]:
        client.get(p)
    server_ms, client_ms = [], []
    for p in paths:
        t0 = time.perf_counter()
        r = client.get(p)
        client_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"GET {p}: HTTP {r.status_code}")
        timing = r.headers.get("server-timing", "")
        server_ms.append(float(timing.partition("dur=")[2]))
    server_ms.sort()
    return {
        "n": len(paths),
        "median": statistics.median(server_ms),
        "p95": _pct(server_ms, 0.95),
        "p99": _pct(server_ms, 0.99),
        "max": server_ms[-1],
        "client_median": statistics.median(client_ms),
    }


def scenarios(plan: Plan, requests: int, rnd: random.Random) -> dict[str, list[str]]:
    """The pages to time, each with its list of request paths."""
    n = requests
    labels = list(plan.label_ids.values())
    common_label = plan.label_ids.get("Pelanggan Setia", labels[0])
    rare_label = plan.label_ids.get("Komplain Kurir", labels[-1])
    words = ("ongkir", "resi", "retur", "transfer", "katalog", "reseller", "cod", "qris")
    ids = [rnd.randrange(1, plan.conversations + 1) for _ in range(n)]
    return {
        "list all (open)": ["/inbox/list"] * n,
        "list mine": ["/inbox/list?view=mine"] * n,
        "list unassigned": ["/inbox/list?view=unassigned"] * n,
        "list my teams": ["/inbox/list?view=team"] * n,
        "list any status": ["/inbox/list?status="] * n,
        "list label (8%)": [f"/inbox/list?label={common_label}"] * n,
        "list label (0.5%)": [f"/inbox/list?label={rare_label}&status="] * n,
        "search word": [f"/inbox/list?q={rnd.choice(words)}" for _ in range(n)],
        "search name": [f"/inbox/list?q={rnd.choice(plan.names)}&status=" for _ in range(n)],
        "search phone": [f"/inbox/list?q={rnd.choice(plan.phones)}&status=" for _ in range(n)],
        "search order no.": [f"/inbox/list?q={rnd.choice(plan.orders)}&status=" for _ in range(n)],
        "search no match": [f"/inbox/list?q=zq{rnd.randrange(10**6)}x&status=" for _ in range(n)],
        "/inbox full page": ["/inbox"] * n,
        "thread (random)": [f"/inbox/c/{i}" for i in ids],
        "thread (largest 20)": [
            f"/inbox/c/{plan.largest[i % len(plan.largest)]}" for i in range(n)
        ],
        "/inbox?c= page+thread": [f"/inbox?c={i}" for i in ids[: max(1, n // 2)]],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--conversations", type=int, default=100_000)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300, help="requests per page")
    ap.add_argument("--only", default="", help="time only pages whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the database, print its URL")
    ap.add_argument("--url", help="measure this already filled database (no fill)")
    a = ap.parse_args()
    if a.messages < a.conversations:
        ap.error("--messages must be at least --conversations (every chat has a message)")

    from bench._server import fresh_database

    with existing(a.url) if a.url else fresh_database(a.db, keep=a.keep) as url:
        kind = "postgres" if url.startswith("postgresql") else "sqlite"
        if a.url:
            plan = plan_of(url)
            print(f"inbox db={kind}: using {url} ({plan.conversations:,} conversations)")
        else:
            plan = fill(url, a.conversations, a.messages)
            print(
                f"inbox db={kind}: filled {plan.conversations:,} contacts and conversations, "
                f"{plan.messages:,} messages in {plan.fill_seconds:.1f} s"
            )
        print(describe(url))
        size = database_size(url)
        print(f"database size: {size / 2**20:,.0f} MiB")
        rnd = random.Random(3)
        with server(url) as base:
            client = sign_in(base)
            print(
                f"{'page':<24} {'n':>5} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}  (server ms)"
            )
            for name, paths in scenarios(plan, a.requests, rnd).items():
                if a.only and a.only not in name:
                    continue
                r = measure(client, paths)
                print(
                    f"{name:<24} {r['n']:>5} {r['median']:>8.1f} {r['p95']:>8.1f} "
                    f"{r['p99']:>8.1f} {r['max']:>8.1f}  (client median {r['client_median']:.1f})",
                    flush=True,
                )
            client.close()


if __name__ == "__main__":
    main()
