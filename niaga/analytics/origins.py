"""The period's figures split by saved segment and by where the customers came from (an ad, a
click-to-chat link, a campaign, or a chat they started themselves), with the same formulas as
:mod:`niaga.analytics.metrics`: which audience buys, which link or ad brings chats that convert.

A segment counts the customers who are in it now (segments are live rules). A chat counts under
one source in a period: the ad of the first message of the customer's in the period that came
from one (Meta's referral), else the click-to-chat link of the first that carried a link's code,
else a campaign the customer answered within 24 hours, else "conversation". Orders count under
the source their attribution chose when they were made (the latest touch before the order).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from niaga.analytics.counting import ACCEPTED, CANCELLED, READ, REPLY_WINDOW
from niaga.analytics.metrics import percent
from niaga.analytics.periods import Period
from niaga.campaigns import segments
from niaga.campaigns.models import ChatLink, ChatLinkStart, Segment
from niaga.core import clock
from niaga.inbox.models import Message
from niaga.inbox.statuses import chunks
from niaga.orders.models import Order

SOURCES = ("ad", "click_to_chat", "campaign", "conversation")
SOURCE_NAMES = {
    "ad": "Ad (Click-to-WhatsApp)",
    "click_to_chat": "Click-to-chat link",
    "campaign": "Campaign",
    "conversation": "Chat started by the customer",
}


def by_segment(session: Session, period: Period) -> list[dict[str, Any]]:
    """One row per saved segment: its customers now, and their messages, chats and orders in
    the period."""
    start, end = period.start, period.end
    out = []
    for segment in session.scalars(select(Segment).order_by(Segment.name)):
        members = segments.query(segments.SegmentRule.model_validate(segment.rule)).subquery()
        row = {"sent": 0, "read": 0, "received": 0, "chats": 0, "orders": 0, "revenue": 0}
        for direction, status, n in session.execute(
            select(Message.direction, Message.status, func.count())
            .where(
                Message.contact_id.in_(select(members.c.id)),
                Message.created_at >= start,
                Message.created_at < end,
            )
            .group_by(Message.direction, Message.status)
        ):
            if direction == "in":
                row["received"] += int(n)
            elif status in ACCEPTED:
                row["sent"] += int(n)
                row["read"] += int(n) if status in READ else 0
        row["chats"] = int(
            session.scalar(
                select(func.count(func.distinct(Message.conversation_id))).where(
                    Message.contact_id.in_(select(members.c.id)),
                    Message.direction == "in",
                    Message.created_at >= start,
                    Message.created_at < end,
                )
            )
            or 0
        )
        n, total = session.execute(
            select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
                Order.contact_id.in_(select(members.c.id)),
                Order.created_at >= start,
                Order.created_at < end,
                Order.status != CANCELLED,
            )
        ).one()
        row["orders"], row["revenue"] = int(n), int(total)
        customers = session.scalar(select(func.count()).select_from(members))
        out.append(
            {
                "id": segment.id,
                "name": segment.name,
                "customers": int(customers or 0),
                **row,
                "open_rate": percent(row["read"], row["sent"]),
                "conversion_rate": percent(row["orders"], row["chats"]),
            }
        )
    return out


def by_source(session: Session, period: Period) -> list[dict[str, Any]]:
    """One row per source (each click-to-chat link its own): chats, the customers' messages in
    them, orders, revenue and conversion = orders ÷ chats × 100 %."""
    start, end = period.start, period.end
    inbound: dict[int, list[tuple[Any, int, bool]]] = defaultdict(list)
    for conversation_id, message_id, at, referral in session.execute(
        select(Message.conversation_id, Message.id, Message.created_at, Message.referral).where(
            Message.direction == "in", Message.created_at >= start, Message.created_at < end
        )
    ):
        inbound[conversation_id].append((clock.as_utc(at), message_id, referral is not None))
    started = {
        message_id: link_id
        for message_id, link_id in session.execute(
            select(ChatLinkStart.message_id, ChatLinkStart.link_id).where(
                ChatLinkStart.at >= start - REPLY_WINDOW, ChatLinkStart.at < end
            )
        )
    }
    campaigns = _campaign_times(session, period, list(inbound))
    rows: dict[tuple[str, int | None], dict[str, int]] = defaultdict(
        lambda: {"chats": 0, "received": 0, "orders": 0, "revenue": 0}
    )
    for conversation_id, found in inbound.items():
        found.sort()
        key = _source_of(found, started, campaigns.get(conversation_id, []))
        rows[key]["chats"] += 1
        rows[key]["received"] += len(found)
    codes = dict(session.execute(select(ChatLink.code, ChatLink.id)).all())
    for source, attribution, total in session.execute(
        select(Order.source, Order.attribution, Order.total).where(
            Order.created_at >= start, Order.created_at < end, Order.status != CANCELLED
        )
    ):
        link = None
        if source == "click_to_chat":
            code = ((attribution or {}).get("click_to_chat") or {}).get("link_code")
            link = codes.get(str(code).upper()) if code else None
        row = rows[(source if source in SOURCES else "conversation", link)]
        row["orders"] += 1
        row["revenue"] += int(total or 0)
    names = dict(session.execute(select(ChatLink.id, ChatLink.name)).all())
    out = []
    for source, link in sorted(rows, key=lambda k: (SOURCES.index(k[0]), k[1] is None, k[1])):
        row = rows[(source, link)]
        out.append(
            {
                "source": source,
                "link_id": link,
                "name": names.get(link, SOURCE_NAMES[source]) if link else SOURCE_NAMES[source],
                **row,
                "conversion_rate": percent(row["orders"], row["chats"]),
            }
        )
    return out


def _campaign_times(session: Session, period: Period, chats: list[int]) -> dict[int, list[Any]]:
    """When campaigns wrote to each of ``chats``, from a day before the period to its end."""
    out: dict[int, list[Any]] = defaultdict(list)
    for part in chunks(sorted(chats)):
        for conversation_id, at in session.execute(
            select(Message.conversation_id, Message.created_at).where(
                and_(
                    Message.conversation_id.in_(part),
                    Message.direction == "out",
                    Message.origin == "campaign",
                    Message.status.in_(ACCEPTED),
                    Message.created_at >= period.start - REPLY_WINDOW,
                    Message.created_at < period.end,
                )
            )
        ):
            out[conversation_id].append(clock.as_utc(at))
    return out


def _source_of(
    inbound: list[tuple[Any, int, bool]], started: dict[int, int], campaign_times: list[Any]
) -> tuple[str, int | None]:
    """Where one chat's customer came from in the period (see the module's rule)."""
    for _, _, from_ad in inbound:
        if from_ad:
            return ("ad", None)
    for _, message_id, _ in inbound:
        if message_id in started:
            return ("click_to_chat", started[message_id])
    for at, _, _ in inbound:
        if any(sent < at <= sent + REPLY_WINDOW for sent in campaign_times):
            return ("campaign", None)
    return ("conversation", None)
