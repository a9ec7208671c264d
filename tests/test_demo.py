"""``make run``'s demo: the owner and team, then customers writing in through the sandbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from niaga.contacts.models import Contact, Label
from niaga.core.db import make_engine, make_sessionmaker
from niaga.demo import CUSTOMERS, DEMO_USERS, seed_demo
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.security.models import Team, User
from tests.conftest import LiveServer, free_port, make_settings, wait_for


def test_demo_seeds_users_then_chats_arrive_as_webhooks(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    try:
        first = seed_demo(
            factory, owner_email="pemilik@tokosari.id", owner_password="rahasia-sekali-123"
        )
        second = seed_demo(
            factory, owner_email="pemilik@tokosari.id", owner_password="rahasia-sekali-123"
        )
        assert first["token"] != second["token"]  # a fresh token each run, the old one removed
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(User)) == 1 + len(DEMO_USERS)
        server = LiveServer(make_settings(fresh_database_url, free_port(), demo=True))
        server.start()
        try:
            expected = sum(len(items) for _, _, items in CUSTOMERS)

            def messages(direction: str) -> int:
                with factory() as s:
                    return s.scalar(
                        select(func.count())
                        .select_from(Message)
                        .where(Message.direction == direction)
                    )

            wait_for(lambda: messages("in") == expected, timeout=30)
            # The chats are then organised through the same services agents use.
            wait_for(lambda: messages("note") == 1, timeout=30)
            # The agents' replies reach the customers' phones (some are read, by chance).
            wait_for(lambda: _sent_statuses(factory) <= {"delivered", "read"}, timeout=30)
            with factory() as s:  # the default rules answered the demo customers too
                assert s.scalar(
                    select(func.count()).where(
                        Message.direction == "out", Message.origin == "automation"
                    )
                )
            with factory() as s:
                names = set(s.scalars(select(Contact.profile_name)))
                assert names == {name for _, name, _ in CUSTOMERS}
                assert s.scalar(select(func.count()).select_from(Conversation)) == len(CUSTOMERS)
                statuses = sorted(s.scalars(select(Conversation.status)))
                assert statuses.count("pending") == 1 and statuses.count("resolved") == 1
                assigned = s.scalars(select(Conversation.assigned_user_id)).all()
                assert sum(1 for a in assigned if a) >= 5  # the demo and the routing rules
                assert s.scalar(select(func.count()).select_from(ConversationLabel)) >= 6
                types = set(s.scalars(select(Message.type).where(Message.direction == "in")))
                assert {"text", "location", "order", "image"} <= types
                assert s.scalar(select(func.count()).select_from(Label)) >= 8
                assert s.scalar(select(func.count()).select_from(Team)) == 3
        finally:
            server.stop()
    finally:
        engine.dispose()


def test_demo_chats_are_not_seeded_twice(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    try:
        for _ in range(2):
            server = LiveServer(make_settings(fresh_database_url, free_port(), demo=True))
            server.start()
            try:
                wait_for(lambda: _count(factory) == len(CUSTOMERS), timeout=30)
            finally:
                server.stop()
        assert _count(factory) == len(CUSTOMERS)
    finally:
        engine.dispose()


def _count(factory: Any) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Conversation))


def _sent_statuses(factory: Any) -> set[str]:
    with factory() as s:
        found = list(
            s.scalars(
                select(Message.status).where(Message.direction == "out", Message.origin == "agent")
            )
        )
    return set(found) if len(found) == 3 else {"missing"}
