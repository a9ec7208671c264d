"""Ownership of conversations while background work acts on them.

Everything that acts on a conversation in the background (the automation queue, its catch-up,
the timers, the order catch-up) first takes the conversation's row lock with ``FOR UPDATE SKIP
LOCKED``, in id order, and leaves alone the ones another transaction holds: one worker owns a
chat at a time, nobody waits on a chat lock, so two claimants never deadlock over the same
customer. SQLite has one writer at a time, so there every conversation is owned at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.inbox.models import Conversation


def own_conversations(session: Session, conversation_ids: Iterable[int]) -> set[int]:
    """The ids among ``conversation_ids`` this transaction now holds (the rest are busy)."""
    wanted = sorted(set(conversation_ids))
    if not wanted or session.get_bind().dialect.name != "postgresql":
        return set(wanted)
    c = Conversation.__table__
    return set(
        session.scalars(
            select(c.c.id)
            .where(c.c.id.in_(wanted))
            .order_by(c.c.id)
            .with_for_update(skip_locked=True)
        )
    )
