"""``make run``'s demo: the owner and team, then customers writing in through the sandbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from niaga.contacts.models import Contact
from niaga.core.db import make_engine, make_sessionmaker
from niaga.demo import CUSTOMERS, DEMO_USERS, seed_demo
from niaga.inbox.models import Conversation, Message
from niaga.security.models import User
from tests.conftest import LiveServer, free_port, make_settings, wait_for


def test_demo_seeds_users_then_chats_arrive_as_webhooks(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    try:
        first = seed_demo(factory, owner_email="pemilik@tokosari.id", owner_password="x" * 12)
        second = seed_demo(factory, owner_email="pemilik@tokosari.id", owner_password="x" * 12)
        assert first["token"] != second["token"]  # a fresh token each run, the old one removed
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(User)) == 1 + len(DEMO_USERS)
        server = LiveServer(make_settings(fresh_database_url, free_port(), demo=True))
        server.start()
        try:
            expected = sum(len(texts) for _, _, texts in CUSTOMERS)

            def messages() -> int:
                with factory() as s:
                    return s.scalar(select(func.count()).select_from(Message))

            wait_for(lambda: messages() == expected, timeout=30)
            with factory() as s:
                names = set(s.scalars(select(Contact.profile_name)))
                assert names == {name for _, name, _ in CUSTOMERS}
                assert s.scalar(select(func.count()).select_from(Conversation)) == len(CUSTOMERS)
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
