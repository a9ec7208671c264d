"""What the figures count, shared by the rollups, the period's figures and the splits: which
statuses are sent, delivered and read, and whether a customer answered within 24 hours."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.analytics.periods import Period
from niaga.core import clock
from niaga.inbox.models import Message
from niaga.inbox.statuses import chunks

ACCEPTED = ("sent", "delivered", "read", "played")
DELIVERED = ("delivered", "read", "played")
READ = ("read", "played")
CANCELLED = "dibatalkan"
REPLY_WINDOW = timedelta(hours=24)


def tally(direction: str, status: str | None, n: int) -> dict[str, int]:
    """How ``n`` messages of one direction and status count: received, or sent and read."""
    if direction == "in":
        return {"received": n}
    if status in ACCEPTED:
        return {"sent": n, "read": n if status in READ else 0}
    return {}


MANY_CHATS = 2_000  # beyond this, replies are read by time alone rather than per chat


def answered_within(
    session: Session, period: Period, started: Sequence[tuple[int, Any]]
) -> list[bool]:
    """For each (conversation, time the business wrote) of ``period``: whether the customer
    wrote in that conversation within :data:`REPLY_WINDOW` after it."""
    found = first_replies(session, started, period.start, period.end + REPLY_WINDOW)
    return [reply is not None for reply in found]


def first_replies(
    session: Session, started: Sequence[tuple[int, Any]], after: Any, before: Any
) -> list[tuple[Any, str | None] | None]:
    """For each (conversation, time the business wrote): the customer's first message in that
    conversation within :data:`REPLY_WINDOW` after it, as (time, text; ``None`` when it was not
    written), or ``None``. Only messages between ``after`` and ``before`` are read."""
    replies: dict[int, list[tuple[Any, str | None]]] = defaultdict(list)
    chats = sorted({c for c, _ in started})
    wanted = set(chats)
    inbound = select(Message.conversation_id, Message.created_at, Message.text).where(
        Message.direction == "in", Message.created_at > after, Message.created_at < before
    )
    reads = (
        [inbound]  # a busy day's templates: one pass over the span's replies
        if len(chats) > MANY_CHATS
        else [inbound.where(Message.conversation_id.in_(part)) for part in chunks(chats)]
    )
    for stmt in reads:
        for conversation_id, at, written in session.execute(stmt):
            if conversation_id in wanted:
                replies[conversation_id].append((clock.as_utc(at), written))
    times: dict[int, list[Any]] = {}
    for conversation_id, found in replies.items():
        found.sort(key=lambda r: r[0])
        times[conversation_id] = [t for t, _ in found]
    out: list[tuple[Any, str | None] | None] = []
    for conversation_id, at in started:
        found, sent_at = replies.get(conversation_id, []), clock.as_utc(at)
        i = bisect.bisect_right(times.get(conversation_id, []), sent_at)
        out.append(found[i] if i < len(found) and found[i][0] <= sent_at + REPLY_WINDOW else None)
    return out
