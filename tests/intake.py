"""The stored webhooks' database for a test's session factory (their own file on SQLite)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.core.config import intake_url_for
from niaga.core.db import make_engine, make_sessionmaker


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
