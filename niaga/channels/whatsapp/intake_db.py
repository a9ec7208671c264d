"""Where stored webhooks wait for processing: on SQLite, a database file of their own.

SQLite has one writer per file. With the stored webhooks in the same file as everything else,
the webhook's answer waited for processing's and automation's write transactions whenever
they ran (p99 235 ms at 556 acks/s in ``bench/pipeline.py``). In a file of its own
(``niaga-intake.db`` beside ``niaga.db``; ``NIAGA_INTAKE_DATABASE_URL``) the intake's only
other writer is processing marking a batch done: one short ``UPDATE``.

Processing therefore applies a batch in the main database and marks it done in the intake file
in a second transaction (:func:`niaga.inbox.processing.process_pending`). A crash between the
two applies the batch once more, which changes nothing: processing is idempotent (a message is
stored once per wamid, a status once per wamid and status, and automation keys on the message).

On PostgreSQL nothing changes: the table stays in the one database, where processing claims
and applies a batch in one transaction (``FOR UPDATE SKIP LOCKED`` shares it among workers).
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.core.config import Settings
from niaga.core.db import make_engine, make_sessionmaker

log = logging.getLogger(__name__)
MOVE_BATCH = 500


def intake_engine(settings: Settings, main: Engine) -> Engine:
    """The engine the stored webhooks live behind (``main`` itself unless separate)."""
    if not settings.separate_intake:
        return main
    engine = make_engine(settings.intake_database_url)
    WebhookEvent.__table__.create(engine, checkfirst=True)
    return engine


def intake_factory(settings: Settings, main: Engine) -> sessionmaker[Session] | None:
    """Sessions on the separate intake database (None: the webhooks live in the main one)."""
    if not settings.separate_intake:
        return None
    return make_sessionmaker(intake_engine(settings, main))


def open_intake(settings: Settings, main: Engine) -> Engine:
    """The intake's engine for a web process or an upgrade: webhooks that still wait in the
    main database are moved over first (see :func:`move_pending`)."""
    intake = intake_engine(settings, main)
    move_pending(main, intake)
    return intake


def move_pending(main: Engine, intake: Engine) -> int:
    """Webhooks stored in the main database before it had an intake file of its own (an
    upgrade, or a change of ``NIAGA_INTAKE_DATABASE_URL``), still unprocessed: moved over,
    copied first and then deleted (a crash between leaves two copies; processing either twice
    changes nothing)."""
    if main is intake:
        return 0
    t = WebhookEvent.__table__
    moved = 0
    while True:
        with main.connect() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.received_at, t.c.body, t.c.attempts, t.c.retry_at, t.c.error)
                .where(t.c.processed_at.is_(None))
                .order_by(t.c.id)
                .limit(MOVE_BATCH)
            ).all()
        if not rows:
            break
        with intake.begin() as conn:
            conn.execute(
                insert(t),
                [
                    {
                        "received_at": r.received_at,
                        "body": r.body,
                        "attempts": r.attempts,
                        "retry_at": r.retry_at,
                        "error": r.error,
                    }
                    for r in rows
                ],
            )
        with main.begin() as conn:
            conn.execute(delete(t).where(t.c.id.in_([r.id for r in rows])))
        moved += len(rows)
    if moved:
        log.warning("moved %d unprocessed webhooks to the intake database", moved)
    return moved
