"""SQLite: the stored webhooks live in a file of their own, so the intake never waits for
processing's write lock; processing applies in the main database, then marks done in theirs.

Real SQLite files (the layout exists only on SQLite); a database of this module's own, and a
live ``niaga`` server for the intake itself.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp import intake_db
from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.core import clock
from niaga.core.config import intake_url_for
from niaga.core.db import make_engine, make_sessionmaker
from niaga.inbox import processing
from niaga.inbox.models import Message, MessageStatusEvent
from tests.conftest import DB_KIND, LiveServer, wait_for
from tests.factories import post_signed, status, text_message
from tests.intake import intake_of

pytestmark = pytest.mark.skipif(
    DB_KIND != "sqlite", reason="stored webhooks have a file of their own only on SQLite"
)


@pytest.fixture
def intake(own_factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """The module database's intake file, emptied before the test."""
    url = own_factory.kw["bind"].url.render_as_string(hide_password=False)
    engine = make_engine(intake_url_for(url))
    WebhookEvent.__table__.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(WebhookEvent.__table__.delete())
    yield make_sessionmaker(engine)
    engine.dispose()


def _store(factory: sessionmaker[Session], *payloads: dict[str, Any] | bytes) -> None:
    with factory() as s, s.begin():
        for p in payloads:
            body = p if isinstance(p, bytes) else json.dumps(p).encode()
            s.add(WebhookEvent(body=body, received_at=clock.now(), attempts=0))


def _drain(factory: sessionmaker[Session], intake: sessionmaker[Session]) -> int:
    total = 0
    while n := processing.process_pending(factory, intake=intake):
        total += n
    return total


def _count(factory: sessionmaker[Session], model: Any, *where: Any) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_processing_applies_in_the_main_file_and_marks_done_in_the_intake_file(
    own_factory: sessionmaker[Session], intake: sessionmaker[Session]
) -> None:
    _store(
        intake,
        text_message("wamid.IF1", wa_id="6281234500001", body="halo"),
        text_message("wamid.IF2", wa_id="6281234500002", body="ready kak?"),
        b"{not json",
    )
    assert _drain(own_factory, intake) == 3
    assert _count(own_factory, Message) == 2
    assert _count(own_factory, WebhookEvent) == 0  # nothing went to the main file
    assert _count(intake, WebhookEvent, WebhookEvent.processed_at.is_(None)) == 0
    with intake() as s:
        bad = s.scalars(select(WebhookEvent).where(WebhookEvent.error.is_not(None))).one()
    assert bad.attempts == processing.MAX_ATTEMPTS  # it will never parse
    with own_factory() as s:  # kept for inspection, in the main database
        dead = s.scalars(select(DeadLetter)).one()
    assert dead.body == b"{not json" and dead.webhook_event_id == bad.id


def test_a_crash_before_the_mark_applies_the_batch_again_and_changes_nothing(
    own_factory: sessionmaker[Session], intake: sessionmaker[Session]
) -> None:
    _store(
        intake,
        text_message("wamid.IF3", wa_id="6281234500003", body="halo"),
        status("wamid.UNKNOWN1", "delivered"),
    )
    assert _drain(own_factory, intake) == 2
    messages = _count(own_factory, Message)
    statuses = _count(own_factory, MessageStatusEvent)
    with intake() as s, s.begin():  # as if the process died between the two commits
        s.execute(update(WebhookEvent).values(processed_at=None))
    assert _drain(own_factory, intake) == 2
    assert _count(own_factory, Message) == messages == 1
    assert _count(own_factory, MessageStatusEvent) == statuses


def test_webhooks_stored_in_the_main_file_before_the_upgrade_are_moved(
    own_factory: sessionmaker[Session], intake: sessionmaker[Session]
) -> None:
    _store(own_factory, text_message("wamid.IF4", wa_id="6281234500004", body="halo"))
    with own_factory() as s, s.begin():  # one already processed stays where it is
        s.add(WebhookEvent(body=b"{}", received_at=clock.now(), processed_at=clock.now()))
    main = own_factory.kw["bind"]
    assert intake_db.move_pending(main, intake.kw["bind"]) == 1
    assert _count(own_factory, WebhookEvent) == 1
    assert _drain(own_factory, intake) == 1
    assert _count(own_factory, Message) == 1


def test_the_intake_answers_while_processing_holds_the_write_lock(
    niaga: LiveServer, factory: sessionmaker[Session]
) -> None:
    """The webhook's 200 does not wait for a write transaction on the main database."""
    path = niaga.settings.database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")  # like a long processing or automation round
    try:
        holder.execute("UPDATE contacts SET phone = phone")
        started = time.monotonic()
        r = post_signed(
            niaga.url,
            text_message("wamid.IF5", wa_id="6281234500005", body="halo"),
            niaga.settings.wa_app_secret,
        )
        waited = time.monotonic() - started
        assert r.status_code == 200
        assert waited < 2.0, waited  # before: until the lock was released (or 30 s and a 500)
        with intake_of(factory)() as s:
            assert s.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    wait_for(lambda: _count(factory, Message) == 1)
