"""Database steps of the dispatcher: claim, record results, recover after a crash.

State machine of an outbox row::

    pending ──claim──► sending ──200──► sent
       ▲                  │ ├─ retryable error ──► pending (next_attempt_at = backoff)
       │                  │ ├─ permanent error ──► failed  (Meta's code kept)
       │                  │ └─ timeout after the request left ──► in_doubt
       │                  └─ lease expired (dispatcher died) ──► in_doubt
       └── in_doubt with no status webhook carrying its key after the grace period
    in_doubt ── a status webhook echoes its key (biz_opaque_callback_data) ──► sent

The outbox writes only its own rows. What happened to a row that carries a message is handed
to a :class:`~niaga.outbox.reports.MessageStates` in the same transaction: the inbox owns the
message's status and wamid and applies the report (see :mod:`niaga.inbox.statuses`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.core import clock
from niaga.outbox.models import OutboxMessage
from niaga.outbox.reports import MessageStates, SendReport


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of one claimed row (no ORM object crosses threads)."""

    id: int
    key: str
    kind: str
    phone_number_id: str
    recipient: str | None
    message: dict[str, Any] | None  # what to send, in Niaga's terms
    reply_to_wamid: str | None
    body: dict[str, Any] | None  # a Graph body rendered before migration 0009
    attempts: int


@dataclass(frozen=True)
class Result:
    """The outcome of one send attempt."""

    id: int
    outcome: str  # sent | retry | failed | in_doubt
    wamid: str | None = None
    error_code: int | None = None
    error_title: str | None = None
    error_detail: str | None = None
    retry_after: float | None = None


def claim(factory: sessionmaker[Session], worker: str, limit: int, lease: float) -> list[Claimed]:
    """Mark up to ``limit`` due rows ``sending`` under a lease and return them.

    One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` statement: the
    dispatcher's hot path, so no ORM objects.
    """
    now = clock.now()
    with factory() as session, session.begin():
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        t = OutboxMessage.__table__
        rows = session.execute(
            update(t)
            .where(t.c.id.in_(due.scalar_subquery()))
            .values(
                state="sending",
                attempts=t.c.attempts + 1,
                claimed_by=worker,
                lease_until=now + timedelta(seconds=lease),
                updated_at=now,
            )
            .returning(
                t.c.id,
                t.c.idempotency_key,
                t.c.kind,
                t.c.phone_number_id,
                t.c.recipient,
                t.c.message,
                t.c.reply_to_wamid,
                t.c.body,
                t.c.attempts,
                t.c.next_attempt_at,
            )
        ).all()
    rows = sorted(rows, key=lambda r: (r.next_attempt_at, r.id))
    return [
        Claimed(
            r.id,
            r.idempotency_key,
            r.kind,
            r.phone_number_id,
            r.recipient,
            r.message,
            r.reply_to_wamid,
            r.body,
            r.attempts,
        )
        for r in rows
    ]


def backoff_seconds(attempt: int, base: float, cap: float, hint: float | None = None) -> float:
    """Exponential backoff with full jitter, never below Meta's hint."""
    delay = random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))
    return max(delay, hint or 0.0, 0.05)


def record(
    factory: sessionmaker[Session],
    results: list[Result],
    *,
    states: MessageStates,
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
) -> None:
    """Write a batch of send outcomes and report them to the messages' owner."""
    if not results:
        return
    now = clock.now()
    with factory() as session, session.begin():
        reports: list[SendReport] = []
        sent = [r for r in results if r.outcome == "sent"]
        if sent:
            reports.extend(_record_sent(session, sent, now))
        others = [r for r in results if r.outcome != "sent"]
        rows = (
            {
                r.id: r
                for r in session.scalars(
                    select(OutboxMessage).where(OutboxMessage.id.in_([x.id for x in others]))
                )
            }
            if others
            else {}
        )
        for res in others:
            row = rows.get(res.id)
            if row is None or row.state != "sending":
                continue  # recovered elsewhere meanwhile; do not overwrite
            row.lease_until = None
            outcome = res.outcome
            if outcome == "retry" and row.attempts >= max_attempts:
                outcome = "failed"
            _keep_error(row, res)
            if outcome == "retry":
                row.state = "pending"
                row.next_attempt_at = now + timedelta(
                    seconds=backoff_seconds(
                        row.attempts, backoff_base, backoff_max, res.retry_after
                    )
                )
                continue
            row.state = outcome  # in_doubt | failed
            if row.message_id is not None:
                reports.append(_report_of(row, now))
        if reports:
            states.apply_reports(session, reports)


def _record_sent(session: Session, sent: list[Result], now: datetime) -> list[SendReport]:
    """The common case in bulk: rows ``sent`` with Meta's wamid; a report per message."""
    t = OutboxMessage.__table__
    pairs = session.execute(
        select(t.c.id, t.c.message_id).where(
            t.c.id.in_([r.id for r in sent]), t.c.state == "sending"
        )
    ).all()
    live = {row.id: row.message_id for row in pairs}
    rows = [r for r in sent if r.id in live]  # others were settled by recovery meanwhile
    if not rows:
        return []
    session.execute(
        update(t)
        .where(t.c.id == bindparam("row_id"))
        .values(
            state="sent",
            wamid=bindparam("new_wamid"),
            sent_at=now,
            lease_until=None,
            updated_at=now,
            error_code=None,
            error_title=None,
            error_detail=None,
        ),
        [{"row_id": r.id, "new_wamid": r.wamid} for r in rows],
        execution_options={"synchronize_session": False},
    )
    return [
        SendReport(live[r.id], "sent", now, wamid=r.wamid) for r in rows if live[r.id] is not None
    ]


def _keep_error(row: OutboxMessage, res: Result) -> None:
    row.error_code = res.error_code
    row.error_title = res.error_title
    row.error_detail = res.error_detail


def _report_of(row: OutboxMessage, now: datetime) -> SendReport:
    assert row.message_id is not None
    return SendReport(
        row.message_id,
        "sent" if row.state == "sent" else "failed" if row.state == "failed" else "in_doubt",
        now,
        wamid=row.wamid,
        error_code=row.error_code,
        error_title=row.error_title,
        error_detail=row.error_detail,
    )


def recover(factory: sessionmaker[Session], grace: float, states: MessageStates) -> dict[str, int]:
    """Crash recovery, safe to run from any number of workers at any time.

    1. ``sending`` rows whose lease expired (their dispatcher died) become ``in_doubt``.
    2. ``in_doubt`` rows that a status webhook confirmed (it echoes the row's key as
       ``biz_opaque_callback_data``) become ``sent`` with that wamid.
    3. ``in_doubt`` rows with no confirmation after ``grace`` seconds are taken as never
       accepted by Meta (Meta reports ``sent`` for every accepted message) and go back to
       ``pending``. Mark-as-read calls are idempotent and simply go back to ``pending``.
    """
    now = clock.now()
    counts = {"expired": 0, "confirmed": 0, "requeued": 0}
    with factory() as session, session.begin():
        expired = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.state == "sending", OutboxMessage.lease_until < now)
            .values(state="in_doubt", updated_at=now, lease_until=None)
        )
        counts["expired"] = expired.rowcount or 0
        doubtful = session.scalars(
            select(OutboxMessage).where(OutboxMessage.state == "in_doubt").limit(1000)
        ).all()
        if not doubtful:
            return counts
        keys = [r.idempotency_key for r in doubtful]
        evidence = states.confirmed_sends(session, keys)
        confirmed: list[SendReport] = []
        for row in doubtful:
            if row.idempotency_key in evidence:
                row.state = "sent"
                row.wamid = evidence[row.idempotency_key]
                row.sent_at = now
                if row.message_id is not None:
                    confirmed.append(_report_of(row, now))
                counts["confirmed"] += 1
            elif (
                row.kind != "message"
                or clock.as_utc(row.updated_at) + timedelta(seconds=grace) <= now
            ):
                row.state = "pending"
                row.next_attempt_at = now
                counts["requeued"] += 1
        if confirmed:
            states.apply_reports(session, confirmed)
    return counts


def stats(factory: sessionmaker[Session]) -> dict[str, int]:
    """Row counts per state (for health checks and tests)."""
    from sqlalchemy import func

    with factory() as session:
        return dict(
            session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
        )
