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


def answered_within(
    session: Session, period: Period, started: Sequence[tuple[int, Any]]
) -> list[bool]:
    """For each (conversation, time the business wrote) of ``period``: whether the customer
    wrote in that conversation within :data:`REPLY_WINDOW` after it."""
    replies: dict[int, list[Any]] = defaultdict(list)
    for part in chunks(sorted({c for c, _ in started})):
        for conversation_id, at in session.execute(
            select(Message.conversation_id, Message.created_at).where(
                Message.conversation_id.in_(part),
                Message.direction == "in",
                Message.created_at > period.start,
                Message.created_at < period.end + REPLY_WINDOW,
            )
        ):
            replies[conversation_id].append(clock.as_utc(at))
    for times in replies.values():
        times.sort()
    out = []
    for conversation_id, at in started:
        times, sent_at = replies.get(conversation_id, []), clock.as_utc(at)
        i = bisect.bisect_right(times, sent_at)
        out.append(i < len(times) and times[i] <= sent_at + REPLY_WINDOW)
    return out
