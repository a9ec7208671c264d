"""SQLite: the worker gives way to the webhook's intake before each write transaction."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from sqlalchemy import text

from niaga.core.db import make_engine, set_write_gate
from niaga.core.write_priority import WritePriority


def test_background_writes_wait_while_the_intake_writes() -> None:
    priority = WritePriority(multiprocessing.get_context("spawn").Value("i", 0))
    released = threading.Event()

    def intake() -> None:
        with priority.intake():
            time.sleep(0.2)
        released.set()

    threading.Thread(target=intake).start()
    time.sleep(0.02)
    started = time.monotonic()
    priority.give_way()
    assert time.monotonic() - started >= 0.15 and released.wait(1)
    assert priority.value.value == 0


def test_the_worker_never_waits_longer_than_its_cap() -> None:
    priority = WritePriority(multiprocessing.get_context("spawn").Value("i", 1), max_wait=0.1)
    started = time.monotonic()
    priority.give_way()  # an intake that never ends cannot starve background work
    assert 0.09 <= time.monotonic() - started < 1.0


def test_the_gate_runs_before_sqlite_write_transactions_only(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    calls: list[str] = []
    me = threading.get_ident()  # the gate is process-wide: a live server may write meanwhile
    set_write_gate(lambda: calls.append("write") if threading.get_ident() == me else None)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        reader = engine.execution_options(sqlite_begin="DEFERRED")
        with reader.connect() as conn, conn.begin():
            conn.execute(text("SELECT count(*) FROM t"))
    finally:
        set_write_gate(None)
        engine.dispose()
    assert calls == ["write"]
