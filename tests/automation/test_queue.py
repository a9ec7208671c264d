"""The automation queue: every new inbound message is handled once, by one worker, in order.

A database of this module's own (no live server claims the same messages); real SQLite or
PostgreSQL, the default retail rules.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation.models import AutomationAction, AutomationTrigger
from niaga.automation.queue import AutomationQueue
from niaga.core.db import transaction
from niaga.inbox.models import Message
from niaga.outbox.models import OutboxMessage
from tests.automation.helpers import inbound, seed_retail

TEXTS = ["Ongkirnya berapa kak?", "harga kemeja batik berapa", "psnan sy blm smpe", "halo"]


def _customers_write(factory: sessionmaker[Session], customers: int, each: int) -> list[int]:
    ids = []
    with transaction(factory) as s:
        for round_ in range(each):
            for c in range(customers):
                msg = inbound(s, TEXTS[(c + round_) % len(TEXTS)], wa_id=f"62813{c:08d}")
                ids.append(msg.id)
    return ids


def _drain(queue: AutomationQueue) -> int:
    total = 0
    while n := queue.run_round():
        total += n
    return total


def _handled_once(s: Session, ids: list[int]) -> None:
    """Each of ``ids`` has exactly one trigger record, and no other message has one."""
    per_message = dict(
        s.execute(
            select(AutomationTrigger.message_id, func.count())
            .where(AutomationTrigger.message_id.is_not(None))
            .group_by(AutomationTrigger.message_id)
        ).all()
    )
    assert sorted(per_message) == sorted(ids) and set(per_message.values()) == {1}


def _no_duplicates(s: Session) -> None:
    keys = s.execute(
        select(OutboxMessage.idempotency_key, func.count())
        .group_by(OutboxMessage.idempotency_key)
        .having(func.count() > 1)
    ).all()
    assert keys == []
    twice = s.execute(
        select(AutomationAction.trigger_id, AutomationAction.rule_id, AutomationAction.action)
        .where(AutomationAction.outcome == "done")
        .group_by(AutomationAction.trigger_id, AutomationAction.rule_id, AutomationAction.action)
        .having(func.count() > 1)
    ).all()
    assert twice == []


def test_each_message_is_handled_once_with_replies_queued(
    own_factory: sessionmaker[Session],
) -> None:
    seed_retail(own_factory)
    ids = _customers_write(own_factory, customers=8, each=3)
    queue = AutomationQueue(own_factory, batch=10, budget=10.0)
    assert _drain(queue) == len(ids)
    assert _drain(queue) == 0
    with own_factory() as s:
        handled = s.scalars(select(AutomationTrigger.message_id)).all()
        assert sorted(m for m in handled if m is not None) == sorted(ids)
        replies = s.scalar(
            select(func.count()).where(Message.direction == "out", Message.origin == "automation")
        )
        assert replies and replies >= 8  # at least a greeting per new customer
        _no_duplicates(s)


def test_a_crash_mid_round_leaves_nothing_half_done(own_factory: sessionmaker[Session]) -> None:
    seed_retail(own_factory)
    ids = _customers_write(own_factory, customers=4, each=2)
    seen: list[int] = []

    def crash_on_the_fifth(session: Session, message_id: int) -> None:
        seen.append(message_id)
        if len(seen) == 5:
            raise SystemExit("kill -9")  # not an Exception: nothing catches it

    crashing = AutomationQueue(own_factory, [crash_on_the_fifth], budget=10.0)
    with pytest.raises(SystemExit):
        crashing.run_round()
    with own_factory() as s:  # the whole round rolled back
        assert s.scalar(select(func.count()).select_from(AutomationTrigger)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    restarted = AutomationQueue(own_factory, budget=10.0)
    assert _drain(restarted) == len(ids)
    with own_factory() as s:
        assert s.scalar(select(func.count()).select_from(AutomationTrigger)) == len(ids)
        _no_duplicates(s)


def test_a_failing_reaction_does_not_stop_the_others(own_factory: sessionmaker[Session]) -> None:
    seed_retail(own_factory)
    ids = _customers_write(own_factory, customers=3, each=1)

    def broken_for_the_first(session: Session, message_id: int) -> None:
        if message_id == ids[0]:
            raise RuntimeError("a broken reaction")

    queue = AutomationQueue(own_factory, [broken_for_the_first], budget=10.0)
    assert _drain(queue) == 3
    with own_factory() as s:  # the rules still ran for it, on the safe second try
        assert s.scalar(select(func.count()).select_from(AutomationTrigger)) == 3


def test_two_workers_share_the_queue_without_racing(own_factory: sessionmaker[Session]) -> None:
    seed_retail(own_factory)
    ids = _customers_write(own_factory, customers=12, each=4)
    errors: list[BaseException] = []
    counts: list[int] = []

    def work() -> None:
        queue = AutomationQueue(own_factory, batch=8, budget=10.0)
        try:
            counts.append(_drain(queue))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(counts) >= len(ids)
    with own_factory() as s:
        _handled_once(s, ids)
        _no_duplicates(s)
