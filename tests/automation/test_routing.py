"""Round robin with capacity, the waiting queue drained oldest first, fairness under load."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import routing
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox import organise
from niaga.inbox.models import Conversation
from niaga.security.models import Team, User
from tests.automation.helpers import make_team

pytestmark = pytest.mark.usefixtures("quiet")


def waiting_chats(session: Session, team: Team, n: int) -> list[Conversation]:
    """``n`` chats waiting in the team's queue, one second apart, oldest first."""
    start = clock.now() - timedelta(hours=1)
    chats = []
    for i in range(n):
        contact = Contact(phone=f"+62813{i:08d}", wa_id=f"62813{i:08d}", profile_name=f"C{i}")
        session.add(contact)
        session.flush()
        conversation = Conversation(
            contact=contact,
            phone_number_id="106540352242922",
            status="open",
            team_id=team.id,
            waiting_since=start + timedelta(seconds=i),
            last_inbound_at=start + timedelta(seconds=i),
        )
        session.add(conversation)
        chats.append(conversation)
    session.flush()
    return chats


def loads(session: Session, agents: list[User]) -> list[int]:
    found = routing.open_load(session, [a.id for a in agents])
    return [found[a.id] for a in agents]


def test_round_robin_is_fair_under_load(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        team, agents = make_team(s, "Penjualan", 3, capacity=100)
        chats = waiting_chats(s, team, 200)
        order = [routing.do_route(s, c) for c in chats]
        assert all(a is not None for a in order)
        # Strict rotation: every agent gets every third chat.
        assert [a.id for a in order[:6]] == [agents[0].id, agents[1].id, agents[2].id] * 2
        assert sorted(Counter(a.id for a in order).values()) == [66, 67, 67]


def test_capacity_then_queue_drained_oldest_first(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        team, agents = make_team(s, "Dukungan", 3, capacity=50)
        chats = waiting_chats(s, team, 200)
        assigned = [routing.do_route(s, c) for c in chats]
        assert sum(a is not None for a in assigned) == 150
        assert loads(s, agents) == [50, 50, 50]
        queue = list(s.scalars(routing.waiting_query(team.id)))
        assert [c.id for c in queue] == [c.id for c in chats[150:]]
        # The second agent resolves five chats: the five oldest waiting go to them, in order.
        theirs = [c for c, a in zip(chats, assigned, strict=True) if a is agents[1]][:5]
        for c in theirs:
            organise.do_set_status(s, c, "resolved", actor_user_id=agents[1].id)
        assert routing.do_drain_for_user(s, agents[1].id) == 5
        assert [c.assigned_user_id for c in chats[150:155]] == [agents[1].id] * 5
        assert chats[155].assigned_user_id is None
        assert loads(s, agents) == [50, 50, 50]


def test_unavailable_agents_get_nothing_until_they_return(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        team, agents = make_team(s, "Keluhan", 2, capacity=5)
        agents[0].available = False
        chats = waiting_chats(s, team, 8)
        assigned = [routing.do_route(s, c) for c in chats]
        assert [a.id if a else None for a in assigned] == [agents[1].id] * 5 + [None] * 3
        assert routing.do_set_available(s, agents[0], True) == 3
        assert [c.assigned_user_id for c in chats[5:]] == [agents[0].id] * 3


def test_presence_window_when_the_profile_asks_for_it(factory: sessionmaker[Session]) -> None:
    from tests.automation.helpers import shop_profile

    with transaction(factory) as s:
        shop_profile(s, presence_minutes=10)
        team, agents = make_team(s, "Penjualan", 2)
        agents[0].last_seen_at = clock.now() - timedelta(minutes=30)
        agents[1].last_seen_at = clock.now() - timedelta(minutes=2)
        chats = waiting_chats(s, team, 2)
        assert {routing.do_route(s, c).id for c in chats} == {agents[1].id}  # type: ignore[union-attr]


def test_concurrent_routers_never_overfill_an_agent(factory: sessionmaker[Session]) -> None:
    """Workers route at the same time; the per-team lock keeps every agent within capacity."""
    import threading

    with transaction(factory) as s:
        team, agents = make_team(s, "Penjualan", 2, capacity=10)
        ids = [c.id for c in waiting_chats(s, team, 40)]
        team_id = team.id

    def worker(chunk: list[int]) -> None:
        for conversation_id in chunk:
            with transaction(factory) as s:
                routing.do_route(s, s.get_one(Conversation, conversation_id))

    threads = [threading.Thread(target=worker, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with factory() as s:
        assert loads(s, agents) == [10, 10]
        waiting = s.scalar(
            select(func.count()).select_from(routing.waiting_query(team_id).subquery())
        )
        assert waiting == 20
