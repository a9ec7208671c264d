"""Helpers for automation tests: customers writing in, teams of agents, an always-open shop."""

from __future__ import annotations

import json
from datetime import datetime
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation.profile import do_update_profile
from niaga.automation.schemas import ProfileIn
from niaga.channels.whatsapp.parse import parse_webhook
from niaga.core import clock
from niaga.inbox import service as inbox
from niaga.inbox.models import Message
from niaga.security.models import Team, TeamMember, User
from tests.factories import text_message

ALWAYS_OPEN = {
    day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
_wamids = count(1)


def inbound(
    session: Session,
    body: str,
    wa_id: str = "6281234500001",
    name: str = "Siti",
    at: datetime | None = None,
) -> Message:
    """The customer ``wa_id`` writes ``body`` (recorded like a processed webhook)."""
    ts = int((at or clock.now()).timestamp())
    payload = text_message(
        f"wamid.TEST{next(_wamids):08d}", wa_id=wa_id, body=body, ts=ts, name=name
    )
    item = parse_webhook(json.dumps(payload).encode()).items[0]
    message = inbox.do_record_inbound(session, item)  # type: ignore[arg-type]
    assert message is not None
    return message


def make_team(
    session: Session, name: str, agents: int, capacity: int = 20, prefix: str | None = None
) -> tuple[Team, list[User]]:
    """A team (created if missing) with ``agents`` new available agents."""
    team = session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    users = []
    for i in range(agents):
        tag = prefix or name.lower()
        user = User(
            email=f"{tag}{i}@tokosari.id",
            name=f"{name} {i}",
            password_hash="x",
            role="agent",
            capacity=capacity,
            available=True,
        )
        session.add(user)
        session.flush()
        session.add(TeamMember(team_id=team.id, user_id=user.id))
        users.append(user)
    session.flush()
    return team, users


def shop_profile(session: Session, **overrides: Any) -> None:
    """Toko Sari, open around the clock unless ``hours`` says otherwise."""
    values: dict[str, Any] = {
        "name": "Toko Sari",
        "description": "Busana muslim dan batik.",
        "catalog_url": "https://tokosari.id/katalog",
        "support_contact": "Balas pesan ini atau telepon 021-555-0101",
        "hours": ALWAYS_OPEN,
    }
    values.update(overrides)
    do_update_profile(session, ProfileIn.model_validate(values))


def seed_retail(factory: sessionmaker[Session], agents: int = 2, capacity: int = 500) -> None:
    """The default retail rules, an always-open shop, and ``agents`` agents in every team."""
    from niaga.automation import defaults
    from niaga.core.db import transaction

    with transaction(factory) as s:
        for team in defaults.TEAMS:
            make_team(s, team, agents, capacity=capacity)
        defaults.do_seed_defaults(s)
        shop_profile(s)
