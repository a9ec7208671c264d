"""A backlog handled by everyone at once: two queue workers, the minute catch-up and the timers
on one burst from overlapping customers. Every message is handled exactly once, no action is
lost to a deadlock (none ``failed``), and nothing is logged as an error."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import service
from niaga.automation.models import AutomationAction
from niaga.automation.queue import AutomationQueue, catch_up
from niaga.core import clock
from niaga.core.db import transaction
from tests.automation.helpers import seed_retail
from tests.automation.test_queue import _customers_write, _drain, _handled_once, _no_duplicates


class _Errors(logging.Handler):
    """Warnings and errors logged by this test's own claimants (the test thread and the
    threads it starts), not by the live server's background work on its other database."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []
        self.threads = {threading.get_ident()}

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("niaga") and record.thread in self.threads:
            self.records.append(f"{record.name}: {record.getMessage()}")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_backlog_handled_by_every_claimant_at_once_loses_nothing(
    own_factory: sessionmaker[Session], workers: int
) -> None:
    seed_retail(own_factory)
    ids = _customers_write(own_factory, customers=60, each=5)
    clock.advance(timedelta(minutes=2))  # a backlog: old enough for the catch-up too
    errors = _Errors()
    logging.getLogger("niaga").addHandler(errors)
    failures: list[BaseException] = []
    start = threading.Barrier(workers + 2)

    def guarded(fn: Any) -> Any:
        def run() -> None:
            errors.threads.add(threading.get_ident())
            try:
                start.wait(10)
                fn()
            except BaseException as exc:
                failures.append(exc)

        return run

    def queue_worker() -> None:
        _drain(AutomationQueue(own_factory, batch=50, budget=10.0))

    def catching_up() -> None:
        for _ in range(20):
            catch_up(own_factory)

    def timers() -> None:
        for _ in range(20):
            with transaction(own_factory) as s:
                service.due_timers(s)

    threads = [threading.Thread(target=guarded(queue_worker)) for _ in range(workers)]
    threads += [
        threading.Thread(target=guarded(catching_up)),
        threading.Thread(target=guarded(timers)),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        _drain(AutomationQueue(own_factory, budget=10.0))  # whatever skipped locks left
    finally:
        logging.getLogger("niaga").removeHandler(errors)
    assert failures == []
    assert errors.records == []
    with own_factory() as s:
        _handled_once(s, ids)
        failed = s.scalars(
            select(AutomationAction.action).where(AutomationAction.outcome == "failed")
        ).all()
        assert failed == []
        _no_duplicates(s)


class _InjectedDeadlock(Exception):
    """What psycopg raises when PostgreSQL picks this transaction as a deadlock's victim."""

    sqlstate = "40P01"


@pytest.mark.parametrize("where", ["reaction", "action"])
def test_a_deadlock_in_a_round_reruns_the_round_with_nothing_lost_or_doubled(
    own_factory: sessionmaker[Session], where: str
) -> None:
    seed_retail(own_factory)
    ids = _customers_write(own_factory, customers=6, each=2)
    calls: list[int] = []

    def deadlock_once(session: Session, message_id: int) -> None:
        calls.append(message_id)
        if where == "reaction" and message_id == ids[4] and calls.count(message_id) == 1:
            raise _InjectedDeadlock("deadlock detected")

    queue = AutomationQueue(own_factory, [deadlock_once], batch=50, budget=10.0)
    if where == "action":  # the victim is an action running in its own SAVEPOINT (safe mode)
        from niaga.automation import engine

        real = engine.ACTIONS["add_label"]
        state = {"raised": False}

        def flaky(*args: Any) -> Any:
            if not state["raised"]:
                state["raised"] = True
                raise _InjectedDeadlock("deadlock detected")
            return real(*args)

        engine.ACTIONS["add_label"] = flaky
    try:
        assert _drain(queue) == len(ids)
    finally:
        if where == "action":
            engine.ACTIONS["add_label"] = real
    assert calls.count(ids[0]) == 2  # its round was rolled back and ran again
    with own_factory() as s:
        _handled_once(s, ids)
        assert (
            s.scalars(
                select(AutomationAction.action).where(AutomationAction.outcome == "failed")
            ).all()
            == []
        )
        labelled = s.scalar(
            select(func.count()).where(
                AutomationAction.action == "add_label", AutomationAction.outcome == "done"
            )
        )
        assert labelled and labelled > 0
        _no_duplicates(s)
