"""The one owner of a sent message's status and wamid (DESIGN.md §3).

Two sources move them, both through :func:`_apply_moves`: Meta's status webhooks (one insert of
the new (wamid, status) pairs, one lookup of their messages and one forward-only UPDATE for the
batch) and the outbox's send reports (Meta's answer to the send: the wamid and ``sent``, or
the refusal and ``failed``), which the outbox hands over through :data:`MESSAGE_STATES`.

Duplicates and reordering are harmless: a (wamid, status) pair is recorded once (the unique
key decides, also against a concurrent worker), and a message's status only moves forward
(sent < delivered < read < played; failed is terminal), checked again inside the UPDATE so a
concurrent writer can never move it back. A webhook and the send report of the same message,
in either order, leave the same state: statuses that arrive before the wamid is known are
kept and replayed when the report brings it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, select, update
from sqlalchemy.orm import Session

from niaga.channels.whatsapp.types import StatusUpdate
from niaga.core import clock, events
from niaga.core.db import JSONType, insert_ignoring_conflicts
from niaga.inbox.models import STATUS_RANK, Message, MessageStatusEvent
from niaga.outbox.models import OutboxMessage
from niaga.outbox.reports import SendReport

_CHUNK = 500  # parameters per IN (...) list: well under every driver's limit


def chunks(values: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    """``values`` cut into lists of at most ``size``."""
    return [values[i : i + size] for i in range(0, len(values), size)]


def _errors_of(status: StatusUpdate) -> list[dict[str, Any]] | None:
    errors = [
        {"code": e.code, "title": e.title, "message": e.message, "details": e.details}
        for e in status.errors
    ]
    return errors or None


def _pricing_of(status: StatusUpdate) -> dict[str, Any] | None:
    p = status.pricing
    if p is None:
        return None
    return {
        "billable": p.billable,
        "pricing_model": p.pricing_model,
        "type": p.type,
        "category": p.category,
    }


def do_record_statuses(session: Session, statuses: Sequence[StatusUpdate]) -> int:
    """Record a batch of delivery statuses; returns how many (wamid, status) pairs were new."""
    unique: dict[tuple[str, str], StatusUpdate] = {}
    for status in statuses:
        unique.setdefault((status.wamid, status.status), status)
    if not unique:
        return 0
    now = clock.now()
    # Sorted: concurrent workers take the unique-index locks in the same order (no deadlock).
    rows = [
        {
            "wamid": s.wamid,
            "status": s.status,
            "timestamp": s.timestamp,
            "recipient_id": s.recipient_id or s.recipient_user_id,
            "errors": _errors_of(s),
            "pricing": _pricing_of(s),
            "callback_data": s.biz_opaque_callback_data,
            "received_at": now,
        }
        for _, s in sorted(unique.items())
    ]
    table = MessageStatusEvent.__table__
    stmt = insert_ignoring_conflicts(session, table).returning(table.c.wamid, table.c.status)
    new: set[tuple[str, str]] = set()
    for part in chunks(rows):
        result = session.execute(stmt, list(part))
        new.update((w, s) for w, s in result.all())
    if not new:
        return 0
    apply_new_statuses(session, [unique[k] for k in sorted(new)])
    return len(new)


def _messages_by_wamid(session: Session, wamids: Sequence[str]) -> dict[str, tuple[int, int, str]]:
    m = Message.__table__
    found: dict[str, tuple[int, int, str]] = {}
    for part in chunks(sorted(set(wamids))):
        for mid, wamid, conversation_id, status in session.execute(
            select(m.c.id, m.c.wamid, m.c.conversation_id, m.c.status).where(m.c.wamid.in_(part))
        ):
            found[wamid] = (mid, conversation_id, status)
    return found


def _early_candidates(session: Session, missing: Sequence[StatusUpdate]) -> list[tuple[int, str]]:
    """(message id, wamid) of statuses that name a message whose wamid we do not know yet,
    through its callback data (the dispatcher records the wamid just after Meta answers; Meta's
    webhook can be faster), in message id order."""
    keys = sorted({s.biz_opaque_callback_data for s in missing if s.biz_opaque_callback_data})
    if not keys:
        return []
    by_key = dict(
        session.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.message_id).where(
                OutboxMessage.idempotency_key.in_(keys), OutboxMessage.message_id.is_not(None)
            )
        ).all()
    )
    return sorted(
        (by_key[s.biz_opaque_callback_data], s.wamid)
        for s in missing
        if s.biz_opaque_callback_data in by_key
    )


def _lock_in_order(session: Session, message_ids: set[int]) -> None:
    """Lock the rows about to change in id order, before changing any (PostgreSQL).

    The updates below run in several statements (early wamids, pricing, statuses); a worker
    holding a later row of one statement while waiting for an earlier row of the next is how
    two status batches (or a batch and the dispatcher, which records wamids in id order too)
    deadlocked. Taking every lock first, in one order, leaves no cycle.
    """
    if not message_ids or session.get_bind().dialect.name != "postgresql":
        return
    m = Message.__table__
    for part in chunks(sorted(message_ids)):
        session.execute(select(m.c.id).where(m.c.id.in_(part)).order_by(m.c.id).with_for_update())


def _adopt_early_wamids(
    session: Session, candidates: Sequence[tuple[int, str]]
) -> dict[str, tuple[int, int, str]]:
    """Give the candidates' messages their wamid (unless one was recorded meanwhile)."""
    m = Message.__table__
    found: dict[str, tuple[int, int, str]] = {}
    for message_id, wamid in candidates:
        if wamid in found:
            continue
        session.execute(
            update(m).where(m.c.id == message_id, m.c.wamid.is_(None)).values(wamid=wamid)
        )
        row = session.execute(
            select(m.c.id, m.c.conversation_id, m.c.status).where(
                m.c.id == message_id, m.c.wamid == wamid
            )
        ).first()
        if row is not None:
            found[wamid] = (row[0], row[1], row[2])
    return found


def _rank_sql(column: Any) -> Any:
    return case({name: rank for name, rank in STATUS_RANK.items()}, value=column, else_=0)


@dataclass(frozen=True)
class _Move:
    """One reported status of one message, from Meta or from the outbox."""

    message_id: int
    conversation_id: int
    current: str
    status: str
    at: datetime
    pricing: dict[str, Any] | None = None
    code: int | None = None
    title: str | None = None
    detail: str | None = None
    # The message moves only while its rank is below this: a send the outbox gave up on does
    # not fail a message Meta has since reported delivered.
    ceiling: int = STATUS_RANK["failed"]


def _move_of(status: StatusUpdate, found: tuple[int, int, str]) -> _Move:
    errors = _errors_of(status) if status.status == "failed" else None
    first = errors[0] if errors else {}
    return _Move(
        found[0],
        found[1],
        found[2],
        status.status,
        status.timestamp,
        pricing=_pricing_of(status),
        code=first.get("code"),
        title=first.get("title") or first.get("message"),
        detail=first.get("details"),
    )


def apply_new_statuses(session: Session, statuses: Sequence[StatusUpdate]) -> None:
    """Move each named message forward to the furthest of its new statuses, in one UPDATE."""
    messages = _messages_by_wamid(session, [s.wamid for s in statuses])
    missing = [s for s in statuses if s.wamid not in messages]
    candidates = _early_candidates(session, missing) if missing else []
    _lock_in_order(session, {v[0] for v in messages.values()} | {c[0] for c in candidates})
    if candidates:
        messages.update(_adopt_early_wamids(session, candidates))
    _apply_moves(session, [_move_of(s, messages[s.wamid]) for s in statuses if s.wamid in messages])


def apply_reports(session: Session, reports: Sequence[SendReport]) -> None:
    """Apply the outbox's send reports: Meta's wamid and ``sent``, or ``failed`` with Meta's
    error; statuses that arrived before the wamid was known are replayed. ``in_doubt`` says
    nothing yet: the message stays pending until Meta's status or the retry settles it."""
    settled = [r for r in reports if r.outcome in ("sent", "failed")]
    if not settled:
        return
    _lock_in_order(session, {r.message_id for r in settled})
    m = Message.__table__
    # In message id order: the status intake adopting early wamids locks the same messages in
    # the same order (no lock cycle between them).
    wamids = sorted({(r.message_id, r.wamid) for r in settled if r.outcome == "sent" and r.wamid})
    if wamids:
        session.execute(
            update(m).where(m.c.id == bindparam("mid")).values(wamid=bindparam("new_wamid")),
            [{"mid": mid, "new_wamid": wamid} for mid, wamid in wamids],
            execution_options={"synchronize_session": False},
        )
    found: dict[int, tuple[int, int, str]] = {}
    for part in chunks(sorted({r.message_id for r in settled})):
        for mid, conversation_id, status in session.execute(
            select(m.c.id, m.c.conversation_id, m.c.status).where(m.c.id.in_(part))
        ):
            found[mid] = (mid, conversation_id, status)
    moves = [
        _Move(
            *found[r.message_id],
            r.outcome,
            r.at,
            code=r.error_code,
            title=r.error_title,
            detail=r.error_detail,
            ceiling=STATUS_RANK["failed" if r.outcome == "sent" else "delivered"],
        )
        for r in settled
        if r.message_id in found
    ]
    by_wamid = {wamid: found[mid] for mid, wamid in wamids if mid in found}
    for part in chunks(sorted(by_wamid)):
        for event in session.scalars(
            select(MessageStatusEvent).where(MessageStatusEvent.wamid.in_(part))
        ):
            moves.append(_move_of_event(event, by_wamid[event.wamid]))
    _apply_moves(session, moves)


def _move_of_event(event: MessageStatusEvent, found: tuple[int, int, str]) -> _Move:
    first = (event.errors or [{}])[0] if event.status == "failed" else {}
    return _Move(
        *found,
        event.status,
        event.timestamp,
        pricing=event.pricing,
        code=first.get("code"),
        title=first.get("title") or first.get("message"),
        detail=first.get("details"),
    )


def confirmed_sends(session: Session, keys: Sequence[str]) -> dict[str, str]:
    """Of these outbox keys, those a status from Meta echoed (callback data): key → wamid."""
    t = MessageStatusEvent.__table__
    confirmed: dict[str, str] = {}
    for part in chunks(sorted(set(keys))):
        confirmed.update(
            session.execute(
                select(t.c.callback_data, t.c.wamid).where(t.c.callback_data.in_(part))
            ).all()
        )
    return confirmed


class _InboxMessageStates:
    """The inbox as the owner of message state the outbox reports to."""

    def apply_reports(self, session: Session, reports: Sequence[SendReport]) -> None:
        apply_reports(session, reports)

    def confirmed_sends(self, session: Session, keys: Sequence[str]) -> dict[str, str]:
        return confirmed_sends(session, keys)


MESSAGE_STATES = _InboxMessageStates()


def _apply_moves(session: Session, moves: Sequence[_Move]) -> None:
    """Each message to the furthest of its moves, forward only, in one UPDATE."""
    plan: dict[int, dict[str, Any]] = {}
    pricing_only: dict[int, dict[str, Any]] = {}
    conversation_ids: set[int] = set()
    for move in moves:
        rank = STATUS_RANK.get(move.status)
        if rank is None:
            continue
        message_id, current = move.message_id, move.current
        entry = plan.get(message_id)
        best = entry["rank"] if entry else STATUS_RANK.get(current, 0)
        if current == "failed" or rank <= best or STATUS_RANK.get(current, 0) >= move.ceiling:
            if move.pricing is not None:
                if entry is not None:
                    entry["pricing"] = entry["pricing"] or move.pricing
                else:
                    pricing_only[message_id] = {"mid": message_id, "pricing": move.pricing}
            continue
        plan[message_id] = {
            "mid": message_id,
            "rank": rank,
            "ceiling": move.ceiling,
            "new_status": move.status,
            "at": move.at,
            "pricing": move.pricing or (entry["pricing"] if entry else None),
            "code": move.code,
            "title": move.title,
            "detail": move.detail,
        }
        conversation_ids.add(move.conversation_id)
    m = Message.__table__
    pricing_only = {k: v for k, v in pricing_only.items() if k not in plan}
    if pricing_only:  # a status that moves nothing still tells what Meta charges
        session.execute(
            update(m)
            .where(m.c.id == bindparam("mid"))
            .values(pricing=bindparam("pricing", type_=JSONType)),
            [pricing_only[k] for k in sorted(pricing_only)],
            execution_options={"synchronize_session": False},
        )
    if not plan:
        return
    for entry in plan.values():
        entry["has_pricing"] = int(entry["pricing"] is not None)
        entry["failed"] = int(entry["new_status"] == "failed")
    failed = bindparam("failed", type_=Integer) == 1
    stmt = (
        update(m)
        .where(
            and_(
                m.c.id == bindparam("mid"),
                m.c.status != "failed",
                _rank_sql(m.c.status) < bindparam("rank"),
                _rank_sql(m.c.status) < bindparam("ceiling"),
            )
        )
        .values(
            status=bindparam("new_status"),
            status_at=bindparam("at"),
            pricing=case(
                (
                    bindparam("has_pricing", type_=Integer) == 1,
                    bindparam("pricing", type_=JSONType),
                ),
                else_=m.c.pricing,
            ),
            error_code=case((failed, bindparam("code", type_=Integer)), else_=m.c.error_code),
            error_title=case((failed, bindparam("title", type_=String)), else_=m.c.error_title),
            error_detail=case((failed, bindparam("detail", type_=String)), else_=m.c.error_detail),
        )
    )
    # Sorted by id: concurrent workers lock the rows in the same order (no deadlock).
    session.execute(
        stmt,
        [plan[k] for k in sorted(plan)],
        execution_options={"synchronize_session": False},
    )
    # One event per batch: live browsers refresh the conversations named.
    events.emit_on_commit(
        session,
        events.MESSAGE_STATUS_CHANGED,
        conversation_ids=sorted(conversation_ids),
        message_ids=sorted(plan),
    )
