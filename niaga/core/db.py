"""Database engine, declarative base, sessions and the on-commit queue.

Services ``flush()``; the caller owns the transaction (see DESIGN.md §2). Work that must
leave the process (sends, pushes, wake-ups) is registered with :func:`on_commit` and runs
only after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from niaga.core import clock
from niaga.core.errors import causes

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = clock.as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else clock.as_utc(value)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base for every Niaga model."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


class Timestamps:
    """``created_at`` / ``updated_at`` for tables a user can change."""

    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_write_gate: Callable[[], None] | None = None


def set_write_gate(gate: Callable[[], None] | None) -> None:
    """Call ``gate()`` before every SQLite write transaction of this process (or stop)."""
    global _write_gate
    _write_gate = gate


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, FULL sync, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        # Issue BEGIN ourselves (pysqlite's own handling is off): writers take the write lock
        # up front (IMMEDIATE, so busy_timeout applies); readers stay DEFERRED under WAL.
        def _begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            if mode == "IMMEDIATE" and _write_gate is not None:
                _write_gate()  # the worker child lets the webhook's intake write first
            conn.exec_driver_sql(f"BEGIN {mode}")

        event.listen(engine, "begin", _begin)

        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_sessionmaker(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """A session factory; sessions run :func:`on_commit` callbacks after commit.

    ``read_only`` sessions begin DEFERRED on SQLite, so they never wait for the write lock.
    """
    bind = engine.execution_options(sqlite_begin="DEFERRED") if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction commits (dropped on rollback)."""
    session.info.setdefault("on_commit", []).append(callback)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: Any) -> None:
    if transaction.nested:
        marks = session.info.setdefault("on_commit_marks", {})
        marks[id(transaction)] = len(session.info.get("on_commit", []))


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    # Releasing a SAVEPOINT fires after_commit too: the callbacks wait for the real commit.
    if session.in_nested_transaction():
        return
    session.info.pop("on_commit_marks", None)
    callbacks = session.info.pop("on_commit", [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_rollback")
def _drop_on_commit(session: Session) -> None:
    nested = session.get_nested_transaction()
    if nested is not None:
        # A SAVEPOINT rolled back: drop only the callbacks registered inside it.
        mark = session.info.get("on_commit_marks", {}).pop(id(nested), None)
        if mark is not None:
            del session.info.get("on_commit", [])[mark:]
        return
    session.info.pop("on_commit_marks", None)
    session.info.pop("on_commit", None)


def insert_ignoring_conflicts(session: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database (a unique key decides)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: commit on success, roll back on error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# SQLSTATEs of errors that say "try the whole transaction again", not "this is wrong":
# serialization_failure, deadlock_detected, lock_not_available.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a deadlock, serialization failure or lock
    timeout: the transaction lost a race and is retried whole, never recorded as a failure."""
    for seen in causes(exc):
        orig = getattr(seen, "orig", None)
        state = getattr(seen, "sqlstate", None) or getattr(orig, "sqlstate", None)
        if state in TRANSIENT_SQLSTATES:
            return True
        if orig is not None and "database is locked" in str(orig):
            return True  # SQLite's busy timeout ran out
    return False
