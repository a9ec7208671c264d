"""Test harness: a fresh database per run (SQLite or PostgreSQL), a live Niaga on loopback.

``NIAGA_TEST_DB=sqlite|postgres`` picks the database (``make test`` runs both).
PostgreSQL comes from ``NIAGA_TEST_POSTGRES_URL``; a fresh database is created for the run and
dropped afterwards. Redis tests use ``NIAGA_TEST_REDIS_URL``. Without those servers the tests
that need them are skipped with a clear reason, unless ``NIAGA_REQUIRE_SERVICES=1`` (CI),
which turns the skip into a failure.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import WebhookEvent
from niaga.core import clock
from niaga.core.config import Settings, intake_url_for
from niaga.core.db import make_engine, make_sessionmaker
from niaga.core.migrate import upgrade
from niaga.models import Base
from tests.sandbox_client import CONTROL, SANDBOX_TOKEN

DB_KIND = os.environ.get("NIAGA_TEST_DB", "sqlite")
PG_URL = os.environ.get("NIAGA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NIAGA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE = os.environ.get("NIAGA_REQUIRE_SERVICES") == "1"


def missing_service(reason: str) -> None:
    """Skip (on a developer machine) or fail (in CI) when a server is missing."""
    if REQUIRE:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(f"SKIPPED (service missing): {reason}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"niaga database: {DB_KIND}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def new_database(directory: Path, prefix: str) -> Iterator[str]:
    """A new, migrated database (SQLite file or PostgreSQL database), dropped afterwards."""
    if DB_KIND == "sqlite":
        url = f"sqlite:///{directory / f'{prefix}.db'}"
        upgrade(url)
        yield url
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        missing_service(f"PostgreSQL at {PG_URL}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test run's database (the live server and most tests share it)."""
    with new_database(tmp_path_factory.mktemp("db"), "niaga_test") as url:
        yield url


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own for one test (for tests that run their own server)."""
    with new_database(tmp_path, "niaga_own") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Any]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _used_tables(conn: Any, tables: list[str]) -> list[str]:
    """Tables with rows or an id sequence that moved (one round trip): TRUNCATE-ing only those
    makes a PostgreSQL wipe several times faster, with ids starting at 1 as before."""
    probes = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables
    )
    found = set(conn.execute(text(probes)).scalars())
    moved = conn.execute(
        text(
            "SELECT sequencename FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
    ).scalars()
    found |= {name.removesuffix("_id_seq") for name in moved}
    return [name for name in tables if name in found]


def wipe(engine: Any) -> None:
    """Empty every table (the schema stays).

    The live server's background loops keep querying, so on PostgreSQL the TRUNCATE can lose
    a deadlock against them; it is simply tried again.
    """
    from sqlalchemy.exc import OperationalError

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    for attempt in range(10):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    used = _used_tables(conn, tables)
                    if used:
                        conn.execute(text(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE"))
                else:
                    # The audit log's append-only triggers refuse DELETE: lift them meanwhile.
                    triggers = conn.execute(
                        text(
                            "SELECT name, sql FROM sqlite_master "
                            "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
                        )
                    ).all()
                    for name, _ in triggers:
                        conn.execute(text(f"DROP TRIGGER {name}"))
                    for name in tables:
                        conn.execute(text(f"DELETE FROM {name}"))
                    for _, sql in triggers:
                        conn.execute(text(sql))
            return
        except OperationalError:
            if attempt == 9:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def intake_engine(database_url: str, engine: Any) -> Iterator[Any]:
    """Where the live server stores webhooks: on SQLite their own file (the default), on
    PostgreSQL the one database."""
    url = intake_url_for(database_url)
    if url == database_url:
        yield engine
        return
    eng = make_engine(url)
    WebhookEvent.__table__.create(eng, checkfirst=True)
    yield eng
    eng.dispose()


@pytest.fixture
def intake_factory(intake_engine: Any) -> sessionmaker[Session]:
    """Sessions on the stored webhooks' database (see ``intake_engine``)."""
    return make_sessionmaker(intake_engine)


def wipe_intake(intake_engine: Any, engine: Any) -> None:
    """Empty the separate intake database (``wipe`` empties the main one)."""
    if intake_engine is not engine:
        with intake_engine.begin() as conn:
            conn.execute(text("DELETE FROM webhook_events"))


@pytest.fixture
def factory(engine: Any, intake_engine: Any) -> Iterator[sessionmaker[Session]]:
    """A session factory on a database emptied before the test."""
    wipe(engine)
    wipe_intake(intake_engine, engine)
    clock.reset()
    yield make_sessionmaker(engine)
    clock.reset()


@pytest.fixture(scope="module")
def module_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An engine on a database of this test module's own: no live server works on it."""
    with new_database(tmp_path_factory.mktemp("own"), "niaga_mod") as url:
        eng = make_engine(url)
        yield eng
        eng.dispose()


@pytest.fixture
def own_factory(module_engine: Any) -> Iterator[sessionmaker[Session]]:
    """A session factory on the module's own database, emptied before the test."""
    wipe(module_engine)
    clock.reset()
    yield make_sessionmaker(module_engine)
    clock.reset()


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        yield s


def make_settings(database_url: str, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": Path(tempfile.mkdtemp(prefix="niaga-test-")),
        "host": "127.0.0.1",
        "port": port,
        "sandbox": True,
        # In-process worker: tests reach it through app.state.worker (the child process is
        # tested on its own, in tests/engine).
        "worker_process": False,
        "sandbox_status_delay": 0.05,
        "dispatch_poll_interval": 0.1,
        "dispatch_in_doubt_seconds": 3.0,
        "dispatch_backoff_base": 0.1,
        "dispatch_backoff_max": 1.0,
        # Fault-injection tests fail up to half the attempts; 20 tries make exhaustion ~1e-6.
        "dispatch_max_attempts": 20,
        "wa_request_timeout": 5.0,
        "wa_messages_per_second": 200,
        "log_level": "warning",
        "sandbox_control_token": SANDBOX_TOKEN,
        # Campaigns send whatever the hour of the test run (quiet hours have their own test).
        "campaign_quiet_hours": "",
        # The nightly backup has its own tests (tests/backups); here it would dump the shared
        # test database while tests empty it.
        "backup_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)


class LiveServer:
    """Niaga served by uvicorn in a thread on a loopback port."""

    def __init__(self, settings: Settings) -> None:
        from niaga.web.app import create_app

        self.settings = settings
        self.app = create_app(settings)
        self.url = settings.public_url
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=settings.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("Niaga test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def live(database_url: str) -> Iterator[LiveServer]:
    """One live Niaga (with the sandbox and an embedded worker) for the test session."""
    server = LiveServer(make_settings(database_url, free_port()))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def niaga(live: LiveServer, engine: Any, intake_engine: Any) -> Iterator[LiveServer]:
    """The live server with an empty database and a reset sandbox."""
    wipe(engine)
    wipe_intake(intake_engine, engine)
    clock.reset()
    httpx.post(f"{live.url}/sandbox/_control/reset", headers=CONTROL, timeout=10).raise_for_status()
    # Deterministic customers: every delivered message is read.
    httpx.patch(
        f"{live.url}/sandbox/_control/config",
        json={"read_probability": 1.0},
        headers=CONTROL,
        timeout=10,
    ).raise_for_status()
    yield live
    clock.reset()


@pytest.fixture
def background_paused(live: LiveServer) -> Iterator[None]:
    """The live server's automation and order jobs sit out: a test that drives them itself on
    the shared database does not race the server's own queue, catch-ups and timers."""
    jobs = live.app.state.worker.jobs
    for prefix in ("automation", "orders"):
        jobs.pause(prefix)
    # A round or a catch-up already running finishes first: it must not take the test's rows.
    wait_for(lambda: jobs.idle("automation") and jobs.idle("orders"), timeout=30)
    try:
        yield
    finally:
        for prefix in ("automation", "orders"):
            jobs.resume(prefix)


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (skipped, or failed in CI, when there is none)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        missing_service(f"Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


FIXTURES = Path(__file__).parent / "fixtures" / "whatsapp"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop in the main thread
    for the rest of the session, which ``asyncio.run`` in other tests cannot share."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
