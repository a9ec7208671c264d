"""The default rule set for a retail shop, seeded by ``niaga automation seed-defaults`` and the
demo. Seeding is idempotent (each rule has a ``seed_key``); the owner edits or disables the
rules afterwards like any other, and a second seeding leaves those edits alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.automation import intents
from niaga.automation.models import AutomationRule
from niaga.automation.rules import do_create_rule
from niaga.inbox import organise
from niaga.security.models import Team

TEAMS = {
    "Penjualan": "Sales: product questions, new orders, payments",
    "Dukungan": "Support: order status and delivery",
    "Keluhan": "Complaints",
}

# The six retail labels: keywords, exclusions and patterns live in :mod:`intents`.
LABELS = intents.LABELS

FAQ: dict[str, tuple[list[str], str]] = {
    "FAQ: jam buka": (
        ["jam buka", "buka jam", "jam berapa buka", "tutup jam", "opening hours", "open today"],
        "Jam buka kami: {hours}.",
    ),
    "FAQ: cara bayar": (
        ["cara bayar", "bayar pakai apa", "bayarnya lewat", "how to pay", "payment method"],
        "Pembayaran bisa lewat transfer bank, QRIS, atau COD untuk kota tertentu. Setelah "
        "transfer, kirim bukti transfer di sini ya.",
    ),
    "FAQ: ongkir": (
        ["ongkir", "ongkos kirim", "biaya kirim", "shipping cost"],
        "Ongkir tergantung kota tujuan dan kurir (JNE, J&T, SiCepat). Kirim alamat lengkap "
        "Anda, kami hitungkan ongkirnya.",
    ),
    "FAQ: harga": (
        ["harga", "how much", "price"],
        "Harga semua produk ada di katalog kami: {catalog}",
    ),
}


def default_rules() -> list[tuple[str, dict[str, Any]]]:
    """(seed key, rule definition) of the default set."""
    rules: list[tuple[str, dict[str, Any]]] = [
        (
            "greeting",
            {
                "name": "Salam pembuka",
                "description": "New customer, or back after 14 days: welcome, catalog, support",
                "priority": 1,
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "new_or_returning"}],
                "actions": [{"type": "send_greeting"}],
            },
        ),
        (
            "away",
            {
                "name": "Pesan di luar jam kerja",
                "description": "Closed or away: say when we will reply",
                "priority": 2,
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "business_hours", "open": False}],
                "actions": [{"type": "send_away"}],
            },
        ),
    ]
    for label, intent in LABELS.items():
        color, team, priority = intent.color, intent.team, intent.priority
        condition: dict[str, Any] = {"type": "text_contains", "keywords": list(intent.keywords)}
        if intent.exclude:
            condition["exclude"] = list(intent.exclude)
        if intent.patterns:
            condition["patterns"] = list(intent.patterns)
        rules.append(
            (
                f"label:{label}",
                {
                    "name": f"Label: {label}",
                    "priority": priority,
                    "trigger": {"type": "message_received"},
                    "conditions": [condition],
                    "actions": [
                        {"type": "add_label", "label": label, "color": color},
                        {"type": "assign_team", "team": team},
                    ],
                },
            )
        )
    for i, (name, (keywords, answer)) in enumerate(FAQ.items()):
        rules.append(
            (
                f"faq:{name}",
                {
                    "name": name,
                    "priority": 70 + i,
                    "trigger": {"type": "message_received"},
                    "conditions": [{"type": "text_contains", "keywords": keywords}],
                    "actions": [{"type": "send_text", "text": answer}],
                },
            )
        )
    rules += [
        (
            "fallback-team",
            {
                "name": "Tanpa label: ke Penjualan",
                "priority": 90,
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "team", "team": None}],
                "actions": [{"type": "assign_team", "team": "Penjualan"}],
            },
        ),
        (
            "ack",
            {
                "name": "Konfirmasi & perkiraan waktu balas",
                "priority": 95,
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "business_hours", "open": True}],
                "actions": [{"type": "send_ack"}],
            },
        ),
        (
            "resolved",
            {
                "name": "Selesai: label dan survei kepuasan",
                "priority": 10,
                "trigger": {"type": "conversation_resolved"},
                "actions": [
                    {"type": "add_label", "label": "Masalah Terselesaikan", "color": "#059669"},
                    {"type": "send_csat"},
                ],
            },
        ),
        (
            "loyal",
            {
                "name": "Pelanggan setia: masuk grup",
                "priority": 20,
                "trigger": {"type": "conversation_resolved"},
                "conditions": [{"type": "contact_label", "label": "Pelanggan Setia"}],
                # The group's welcome tells the customer they joined (niaga.community.groups).
                "actions": [{"type": "add_to_group", "group": "Pelanggan Setia"}],
            },
        ),
        (
            "no-reply-30",
            {
                "name": "Belum dibalas 30 menit",
                "priority": 10,
                "trigger": {"type": "no_business_reply", "minutes": 30},
                "actions": [
                    {"type": "add_label", "label": "Perlu Perhatian", "color": "#f97316"},
                    {"type": "add_note", "text": "Pelanggan menunggu balasan lebih dari 30 menit."},
                ],
            },
        ),
    ]
    return rules


def do_seed_defaults(session: Session) -> dict[str, int]:
    """Teams, labels and the default rules (missing ones only); returns what was created."""
    created = {"teams": 0, "labels": 0, "rules": 0}
    for name, description in TEAMS.items():
        if session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower())) is None:
            session.add(Team(name=name, description=description))
            created["teams"] += 1
    session.flush()
    for label, intent in LABELS.items():
        from niaga.contacts.models import Label

        color = intent.color
        exists = session.scalar(select(Label.id).where(func.lower(Label.name) == label.lower()))
        organise.get_or_create_label(session, label, color)
        created["labels"] += exists is None
    seeded = set(session.scalars(select(AutomationRule.seed_key)))
    for key, definition in default_rules():
        if key not in seeded:
            do_create_rule(session, definition, seed_key=key)
            created["rules"] += 1
    return created


def do_join_demo_teams(session: Session, memberships: dict[str, list[str]]) -> None:
    """Put users (by e-mail) in teams (by name), skipping what is already there."""
    from niaga.security.models import TeamMember, User

    for email, teams in memberships.items():
        user_id = session.scalar(select(User.id).where(User.email == email))
        for name in teams:
            team_id = session.scalar(select(Team.id).where(Team.name == name))
            if user_id is None or team_id is None:
                continue
            if not session.scalar(
                select(TeamMember.id).where(
                    TeamMember.team_id == team_id, TeamMember.user_id == user_id
                )
            ):
                session.add(TeamMember(team_id=team_id, user_id=user_id))
    session.flush()
