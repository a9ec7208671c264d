"""The stored webhooks' database for a test's session factory (their own file on SQLite)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.core import clock
from niaga.core.config import intake_url_for
from niaga.core.db import make_engine, make_sessionmaker
from niaga.inbox import processing


def intake_of(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions where the server behind ``factory``'s database stores webhooks."""
    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    intake = intake_url_for(url)
    return factory if intake == url else _intake(intake)


@cache
def _intake(url: str) -> Any:
    engine = make_engine(url)
    WebhookEvent.__table__.create(engine, checkfirst=True)
    return make_sessionmaker(engine)


def store(factory: sessionmaker[Session], *payloads: dict[str, Any] | bytes) -> None:
    """Store webhook bodies in ``factory``'s database as the intake's writer does (signature
    already checked), for :func:`drain` to process."""
    with factory() as s, s.begin():
        for p in payloads:
            body = p if isinstance(p, bytes) else json.dumps(p).encode()
            s.add(WebhookEvent(body=body, received_at=clock.now(), attempts=0))


def drain(factory: sessionmaker[Session]) -> int:
    """Process every stored webhook of ``factory``'s database; how many were processed."""
    total = 0
    while n := processing.process_pending(factory):
        total += n
    return total
