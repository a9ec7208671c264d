"""Automation off the critical path: its own loop over inbound messages not yet handled.

The webhook processor only stores messages; this loop claims the ones that have no trigger
record yet (in id order) and runs the reactions to each (orders from carts, status answers,
then the rules), a batch per transaction. The trigger record commits with every action it
caused, so a crash leaves either both or neither: an occurrence never acts twice, and one that
a crash lost is simply claimed again.

A round is set-based (:mod:`niaga.automation.batch`): what the rules ask about the claimed
messages is read once for the batch, and the replies, their outbox rows and the action log are
written together when the round ends. Should anything in it fail, the round is rolled back and
run again message by message, each in its own SAVEPOINT, so that one broken message cannot hold
up the others.

Rounds are bounded in time (:data:`ROUND_BUDGET`) so that on SQLite the webhook writer gets the
write lock between them. On PostgreSQL the claim locks the messages' conversations with
``FOR UPDATE SKIP LOCKED``: any number of workers share the queue, one conversation belongs to
one worker at a time (its messages stay in order) and two workers never race on one chat.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import batch as round_batch
from niaga.automation import engine, service
from niaga.automation.models import AutomationTrigger
from niaga.core import clock
from niaga.core.db import is_transient
from niaga.core.jobs.waker import Waker
from niaga.inbox.locks import own_conversations
from niaga.inbox.models import Message

log = logging.getLogger(__name__)

BATCH = 200
MIN_CLAIM = 20
# Seconds of work per transaction: on SQLite short, so that the webhook's writes get the lock
# between rounds; on PostgreSQL longer (nothing waits on it but the chats it owns).
ROUND_BUDGET = 0.05
ROUND_BUDGET_POSTGRES = 0.25
# Ids below the last handled one that are looked at again: on PostgreSQL a message with a
# smaller id can commit after a larger one (the minute catch-up covers anything older).
FLOOR_SLACK = 2000

Reaction = Callable[[Session, int], object]


def claim(session: Session, floor: int, limit: int = BATCH) -> list[int]:
    """Inbound messages after ``floor`` without a trigger record, oldest first, whose
    conversation this transaction now owns (:mod:`niaga.inbox.locks`)."""
    return _claim(session, Message.__table__.c.id > floor, limit)


def claim_missed(session: Session, limit: int = BATCH) -> list[int]:
    """Messages of the last hours that nobody handled (the catch-up), owned the same way."""
    m = Message.__table__
    now = clock.now()
    recent = and_(
        m.c.received_at >= now - service.CATCH_UP_MAX_AGE,
        m.c.received_at <= now - service.CATCH_UP_MIN_AGE,
    )
    return _claim(session, recent, limit)


def _claim(session: Session, where: Any, limit: int) -> list[int]:
    m = Message.__table__
    unhandled = ~exists().where(and_(AutomationTrigger.message_id == m.c.id))
    rows = session.execute(
        select(m.c.id, m.c.conversation_id)
        .where(m.c.direction == "in", where, unhandled)
        .order_by(m.c.id)
        .limit(limit)
    ).all()
    if not rows or session.get_bind().dialect.name != "postgresql":
        return [r[0] for r in rows]
    owned = own_conversations(session, (r[1] for r in rows))
    mine = [r[0] for r in rows if r[1] in owned]
    if not mine:
        return []
    # Another worker may have finished some of them before we took the lock.
    return list(session.scalars(select(m.c.id).where(m.c.id.in_(mine), unhandled).order_by(m.c.id)))


class AutomationQueue:
    """Runs the reactions to every new inbound message, in batches, until stopped."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        reactions: Sequence[Reaction] = (),
        *,
        poll_interval: float = 1.0,
        batch: int = BATCH,
        budget: float | None = None,
    ) -> None:
        self.factory = factory
        # Other domains' work on a new message (orders), then the rules.
        self.reactions: list[Reaction] = [*reactions, _run_rules]
        self.poll_interval = poll_interval
        self.batch = batch
        if budget is None:
            bind = factory.kw.get("bind")
            postgres = bind is not None and bind.dialect.name == "postgresql"
            budget = ROUND_BUDGET_POSTGRES if postgres else ROUND_BUDGET
        self.budget = budget
        self.paused = False
        self.busy = False  # a round is running (pausing lets it finish)
        self._floor: int | None = None
        self._claim_size = batch
        self._given_up: set[int] = set()
        self._waker = Waker()

    def wake(self) -> None:
        """Run a round now (safe from any thread)."""
        self._waker.wake()

    def _start_floor(self, session: Session) -> int:
        """Start after the newest message older than the catch-up horizon."""
        from niaga.core import clock

        horizon = clock.now() - service.CATCH_UP_MAX_AGE
        m = Message.__table__
        first = session.scalar(
            select(m.c.id).where(m.c.received_at >= horizon).order_by(m.c.id).limit(1)
        )
        if first is None:
            first = (session.scalar(select(m.c.id).order_by(m.c.id.desc()).limit(1)) or 0) + 1
        return first - 1

    def _check_floor(self) -> None:
        """Start again from the horizon if messages were deleted below the floor."""
        if self._floor is None:
            return
        with self.factory() as session:
            newest = session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
        if (newest or 0) < self._floor:
            self._floor = None

    def run_round(self) -> int:
        """Handle what one transaction's budget allows; returns how many messages were claimed.

        A deadlock or serialization failure rolls the round back and runs it again (a few
        times, after a short random pause): a lost race is never an action that failed.
        """
        return _retrying(self._attempt)

    def catch_up_round(self) -> int:
        """One round over messages that the queue missed (a crash, a restart past the floor)."""
        return _retrying(lambda: self._attempt(missed=True))

    def _attempt(self, missed: bool = False) -> int:
        """The round set-based; should anything in it fail, once more message by message."""
        try:
            return self._round(missed)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning(
                "automation round failed (%s: %s); running it again message by message",
                type(exc).__name__,
                str(exc)[:200],
            )
            return self._round(missed, careful=True)

    def _round(self, missed: bool = False, careful: bool = False) -> int:
        with self.factory() as session, session.begin():
            size = self.batch if careful or missed else self._claim_size
            if missed:
                ids = claim_missed(session, size)
            else:
                if self._floor is None:
                    self._floor = self._start_floor(session)
                ids = claim(session, self._floor, size)
            ids = [i for i in ids if i not in self._given_up]
            if not ids:
                return 0
            session.info[engine.RULES_CACHE] = {}
            batch = round_batch.prefetch(session, ids)
            batch.careful = careful
            started = time.monotonic()
            handled: list[int] = []
            try:
                for message_id in ids:
                    if careful:
                        self._react(session, message_id)
                    else:
                        for reaction in self.reactions:
                            reaction(session, message_id)
                    handled.append(message_id)
                    if time.monotonic() - started > self.budget:
                        break
                if round_batch.current(session) is batch:  # not dropped by a careful rollback
                    batch.write(session)
                session.flush()
            finally:
                round_batch.end(session)
        if not careful and not missed:
            # Claim about what one budget handles: a bigger claim only reads what the round
            # will not reach (on SQLite, a round is a few dozen messages).
            fits = len(handled) if len(handled) < len(ids) else len(handled) * 2
            self._claim_size = max(MIN_CLAIM, min(self.batch, fits + fits // 2))
        if handled and not missed and self._floor is not None:
            self._floor = max(self._floor, max(handled) - FLOOR_SLACK)
        return len(handled)

    def _react(self, session: Session, message_id: int) -> None:
        try:
            with session.begin_nested():
                for reaction in self.reactions:
                    reaction(session, message_id)
            return
        except Exception as exc:
            if is_transient(exc):
                raise  # the whole round again, never half of it
            round_batch.end(session)  # what it noted for this message was rolled back
            log.exception("automation failed for message %s; trying each action alone", message_id)
        try:  # second try: every action in its own SAVEPOINT, the trigger recorded regardless
            with session.begin_nested():
                service.handle_message_received(session, message_id, safe=True)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("automation gave up on message %s (the catch-up retries)", message_id)
            self._given_up.add(message_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set."""
        while not stop.is_set():
            self._waker.clear()
            done = 0
            if not self.paused:
                self.busy = True
                try:
                    done = await asyncio.to_thread(self.run_round)
                except Exception:
                    log.exception("automation round failed; trying again")
                    await asyncio.sleep(0.5)
                finally:
                    self.busy = False
            if done:
                await asyncio.sleep(0)
                continue
            with suppress(Exception):
                await asyncio.to_thread(self._check_floor)
            if len(self._given_up) > 10_000:
                self._given_up.clear()
            await self._waker.wait(self.poll_interval)


def _run_rules(session: Session, message_id: int) -> None:
    service.handle_message_received(session, message_id)


RETRIES = 6


def _retrying(round_: Callable[[], int]) -> int:
    """``round_()``, run again after a lost race (deadlock, serialization, lock timeout)."""
    for attempt in range(RETRIES):
        try:
            return round_()
        except Exception as exc:
            if not is_transient(exc) or attempt == RETRIES - 1:
                raise
            log.info("automation round lost a race (%s); running it again", type(exc).__name__)
            time.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    return 0


def catch_up(factory: sessionmaker[Session], reactions: Sequence[Reaction] = ()) -> int:
    """The minute catch-up: every reaction and the rules for messages nobody handled."""
    queue = AutomationQueue(factory, reactions)
    done = 0
    while n := queue.catch_up_round():
        done += n
    return done
