"""Database steps of the dispatcher: claim, record results, recover after a crash.

State machine of an outbox row::

    pending ──claim──► sending ──200──► sent
       ▲                  │ ├─ retryable error ──► pending (next_attempt_at = backoff)
       │                  │ ├─ permanent error ──► failed  (Meta's code kept)
       │                  │ └─ timeout after the request left ──► in_doubt
       │                  └─ lease expired (dispatcher died) ──► in_doubt
       └── in_doubt with no status webhook carrying its key after the grace period
    in_doubt ── a status webhook echoes its key (biz_opaque_callback_data) ──► sent
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.core import clock, events
from niaga.inbox import service as inbox
from niaga.inbox.models import STATUS_RANK, Message, MessageStatusEvent
from niaga.outbox.models import OutboxMessage


@dataclass(frozen=True)
class Claimed:
    """What a sender needs of one claimed row (no ORM object crosses threads)."""

    id: int
    key: str
    kind: str
    phone_number_id: str
    body: dict[str, Any]
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
                t.c.body,
                t.c.attempts,
                t.c.next_attempt_at,
            )
        ).all()
    rows = sorted(rows, key=lambda r: (r.next_attempt_at, r.id))
    return [
        Claimed(r.id, r.idempotency_key, r.kind, r.phone_number_id, r.body, r.attempts)
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
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
) -> None:
    """Write a batch of send outcomes, and move their messages forward."""
    if not results:
        return
    now = clock.now()
    with factory() as session, session.begin():
        sent = [r for r in results if r.outcome == "sent"]
        if sent:
            _record_sent(session, sent, now)
        others = [r for r in results if r.outcome != "sent"]
        if not others:
            return
        rows = {
            r.id: r
            for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_([x.id for x in others]))
            )
        }
        for res in others:
            row = rows.get(res.id)
            if row is None or row.state != "sending":
                continue  # recovered elsewhere meanwhile; do not overwrite
            row.lease_until = None
            outcome = res.outcome
            if outcome == "retry" and row.attempts >= max_attempts:
                outcome = "failed"
            if outcome == "sent":
                _mark_sent(session, row, res.wamid)
            elif outcome == "retry":
                row.state = "pending"
                row.next_attempt_at = now + timedelta(
                    seconds=backoff_seconds(
                        row.attempts, backoff_base, backoff_max, res.retry_after
                    )
                )
                _keep_error(row, res)
            elif outcome == "in_doubt":
                row.state = "in_doubt"
                _keep_error(row, res)
            else:
                row.state = "failed"
                _keep_error(row, res)
                _fail_message(session, row)


def _record_sent(session: Session, sent: list[Result], now: datetime) -> None:
    """The common case in bulk: rows sent, their messages ``sent`` with Meta's wamid."""
    t = OutboxMessage.__table__
    pairs = session.execute(
        select(t.c.id, t.c.message_id).where(
            t.c.id.in_([r.id for r in sent]), t.c.state == "sending"
        )
    ).all()
    live = {row.id: row.message_id for row in pairs}
    rows = [r for r in sent if r.id in live]  # others were settled by recovery meanwhile
    if not rows:
        return
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
    # In message id order: the status intake adopting early wamids locks the same messages in
    # the same order (no lock cycle between them).
    with_message = sorted((live[r.id], r.wamid) for r in rows if live[r.id] is not None)
    if not with_message:
        return
    m = Message.__table__
    session.execute(
        update(m).where(m.c.id == bindparam("msg_id")).values(wamid=bindparam("new_wamid")),
        [{"msg_id": mid, "new_wamid": wamid} for mid, wamid in with_message],
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(m)
        .where(m.c.id.in_([mid for mid, _ in with_message]), m.c.status == "pending")
        .values(status="sent", status_at=now),
        execution_options={"synchronize_session": False},
    )
    conversation_ids = sorted(
        set(
            session.scalars(
                select(m.c.conversation_id).where(m.c.id.in_([mid for mid, _ in with_message]))
            )
        )
    )
    # One event per batch (not per message): live browsers refresh those conversations.
    events.emit_on_commit(
        session, events.MESSAGES_SENT, conversation_ids=conversation_ids, status="sent"
    )
    # Statuses that arrived before we knew the wamid (fast webhooks) are replayed now.
    early = set(
        session.scalars(
            select(MessageStatusEvent.wamid).where(
                MessageStatusEvent.wamid.in_([w for _, w in with_message])
            )
        )
    )
    for mid, wamid in with_message:
        if wamid in early:
            message = session.get(Message, mid)
            if message is not None:
                session.refresh(message)
                inbox.apply_recorded_statuses(session, message)


def _keep_error(row: OutboxMessage, res: Result) -> None:
    row.error_code = res.error_code
    row.error_title = res.error_title
    row.error_detail = res.error_detail


def _mark_sent(session: Session, row: OutboxMessage, wamid: str | None) -> None:
    row.state = "sent"
    row.wamid = wamid
    row.sent_at = clock.now()
    if row.message_id is None:
        return
    message = session.get(Message, row.message_id)
    if message is None:
        return
    if wamid and message.wamid != wamid:
        message.wamid = wamid
    if STATUS_RANK.get(message.status, 0) < STATUS_RANK["sent"]:
        message.status = "sent"
        message.status_at = row.sent_at
    session.flush()
    inbox.apply_recorded_statuses(session, message)


def _fail_message(session: Session, row: OutboxMessage) -> None:
    if row.message_id is None:
        return
    message = session.get(Message, row.message_id)
    if message is None or message.status in ("delivered", "read", "played"):
        return
    message.status = "failed"
    message.status_at = clock.now()
    message.error_code = row.error_code
    message.error_title = row.error_title
    message.error_detail = row.error_detail
    events.emit_on_commit(
        session,
        events.MESSAGE_STATUS_CHANGED,
        message_id=message.id,
        conversation_id=message.conversation_id,
        status="failed",
    )


def recover(factory: sessionmaker[Session], grace: float) -> dict[str, int]:
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
        evidence = {
            e.callback_data: e.wamid
            for e in session.scalars(
                select(MessageStatusEvent).where(MessageStatusEvent.callback_data.in_(keys))
            )
        }
        for row in doubtful:
            if row.idempotency_key in evidence:
                _mark_sent(session, row, evidence[row.idempotency_key])
                counts["confirmed"] += 1
            elif (
                row.kind != "message"
                or clock.as_utc(row.updated_at) + timedelta(seconds=grace) <= now
            ):
                row.state = "pending"
                row.next_attempt_at = now
                counts["requeued"] += 1
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
