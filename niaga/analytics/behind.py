"""What is behind a figure: the messages, conversations, orders or answers it counts, so the
owner can open them (at most :data:`LIMIT`, newest first)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.analytics import goals, sentiment
from niaga.analytics.counting import ACCEPTED, CANCELLED, READ
from niaga.analytics.models import ConversionGoal
from niaga.analytics.periods import Period
from niaga.automation.matching import matched_keywords
from niaga.automation.models import CsatSurvey, ResponseSample
from niaga.contacts.models import Contact
from niaga.inbox.models import Conversation, Message
from niaga.orders.models import Order

LIMIT = 200
KEYS = (
    "sent",
    "delivered",
    "read",
    "failed",
    "received",
    "orders",
    "csat_average",
    "first_response_median",
    "positive_share",
    "negative_share",
)


def rows(session: Session, period: Period, key: str) -> list[dict[str, Any]]:
    """The records behind the figure ``key`` of ``period`` (each with its conversation)."""
    start, end = period.start, period.end
    if key in ("sent", "delivered", "read", "failed", "received"):
        statuses = {
            "sent": ACCEPTED,
            "delivered": ("delivered", "read", "played"),
            "read": READ,
            "failed": ("failed",),
        }.get(key)
        stmt = (
            select(Message, Contact)
            .join(Contact, Contact.id == Message.contact_id)
            .where(
                Message.direction == ("in" if key == "received" else "out"),
                Message.created_at >= start,
                Message.created_at < end,
            )
        )
        if statuses:
            stmt = stmt.where(Message.status.in_(statuses))
        found = session.execute(stmt.order_by(Message.created_at.desc()).limit(LIMIT))
        return [
            {
                "conversation_id": m.conversation_id,
                "who": c.display_name or c.phone,
                "at": m.created_at,
                "what": m.text or m.type,
                "detail": (
                    f"{m.error_code}: {m.error_title or ''}" if m.status == "failed" else m.status
                ),
            }
            for m, c in found
        ]
    if key in ("positive_share", "negative_share"):
        return _toned(session, period, "positive" if key == "positive_share" else "negative")
    if key == "orders":
        found = session.execute(
            select(Order, Contact)
            .join(Contact, Contact.id == Order.contact_id)
            .where(Order.created_at >= start, Order.created_at < end, Order.status != CANCELLED)
            .order_by(Order.created_at.desc())
            .limit(LIMIT)
        )
        return [
            {
                "conversation_id": o.conversation_id,
                "who": c.display_name or c.phone,
                "at": o.created_at,
                "what": f"#{o.number}",
                "detail": o.status,
                "amount": o.total,
            }
            for o, c in found
        ]
    if key == "csat_average":
        found = session.execute(
            select(CsatSurvey, Contact)
            .join(Contact, Contact.id == CsatSurvey.contact_id)
            .where(
                CsatSurvey.rating.is_not(None),
                CsatSurvey.answered_at >= start,
                CsatSurvey.answered_at < end,
            )
            .order_by(CsatSurvey.rating, CsatSurvey.answered_at.desc())
            .limit(LIMIT)
        )
        return [
            {
                "conversation_id": v.conversation_id,
                "who": c.display_name or c.phone,
                "at": v.answered_at,
                "what": f"{v.rating}/5",
                "detail": v.comment or "",
            }
            for v, c in found
        ]
    if key == "first_response_median":
        found = session.execute(
            select(ResponseSample)
            .where(ResponseSample.created_at >= start, ResponseSample.created_at < end)
            .order_by(ResponseSample.seconds.desc())
            .limit(LIMIT)
        )
        return [
            {
                "conversation_id": r.conversation_id,
                "who": None,
                "at": r.created_at,
                "what": f"{round(r.seconds / 60)} min",
                "detail": "",
            }
            for (r,) in found
        ]
    return []


def _written_newest(session: Session, period: Period) -> Iterator[tuple[Message, Contact]]:
    """The customers' written messages of the period with their contact, newest first,
    streamed (a drill-down stops at :data:`LIMIT` found)."""
    yield from session.execute(
        select(Message, Contact)
        .join(Contact, Contact.id == Message.contact_id)
        .where(
            Message.direction == "in",
            Message.text.is_not(None),
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
        .order_by(Message.created_at.desc())
        .execution_options(yield_per=1000)
    ).tuples()


def _toned(session: Session, period: Period, tone: str) -> list[dict[str, Any]]:
    """The customers' written messages of that tone, newest first, with the words that
    decided."""
    out: list[dict[str, Any]] = []
    for m, c in _written_newest(session, period):
        read = sentiment.score(m.text)
        if read.label != tone:
            continue
        out.append(
            {
                "conversation_id": m.conversation_id,
                "who": c.display_name or c.phone,
                "at": m.created_at,
                "what": m.text,
                "detail": ", ".join(read.hits),
            }
        )
        if len(out) >= LIMIT:
            break
    return out


def goal_rows(session: Session, period: Period, goal: ConversionGoal) -> list[dict[str, Any]]:
    """The chats that reached ``goal`` in the period, newest first: the label put on them, or
    the customer's message with the phrase."""
    if goal.kind == "label":
        events = goals.label_events(session, period.start, period.end)
        found = sorted(
            ((c, at) for c, at, label in events if label == goal.label_id),
            key=lambda row: row[1],
            reverse=True,
        )[:LIMIT]
        names = _who(session, {c for c, _ in found})
        return [
            {"conversation_id": c, "who": names.get(c), "at": at, "what": goal.name, "detail": ""}
            for c, at in found
        ]
    phrases = goals.phrases_of(goal)
    out: list[dict[str, Any]] = []
    for m, c in _written_newest(session, period):
        hits = matched_keywords(m.text, phrases)
        if not hits:
            continue
        out.append(
            {
                "conversation_id": m.conversation_id,
                "who": c.display_name or c.phone,
                "at": m.created_at,
                "what": m.text,
                "detail": ", ".join(hits),
            }
        )
        if len(out) >= LIMIT:
            break
    return out


def _who(session: Session, conversations: set[int]) -> dict[int, str]:
    """Each conversation's customer, by name or number."""
    if not conversations:
        return {}
    return {
        int(c): name or phone
        for c, name, phone in session.execute(
            select(Conversation.id, Contact.display_name, Contact.phone)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Conversation.id.in_(conversations))
        )
    }
