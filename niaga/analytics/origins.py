"""The period's figures split by saved segment and by where the customers came from (an ad, a
click-to-chat link, a campaign, or a chat they started themselves), with the same formulas as
:mod:`niaga.analytics.metrics`: which audience buys, which link or ad brings chats that convert.

A segment counts the customers who are in it now (segments are live rules), read from the
records. Sources come from the daily rollups (:mod:`niaga.analytics.dimensions`): a chat counts
under where it came from on the first day of the period it came from somewhere (on one day, an
ad's referral before a click-to-chat link's code before a campaign answered within 24 hours),
else as a chat the customer started. Orders count under the source their attribution chose when
they were made (the latest touch before the order).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.analytics import chat_counts, goals, rollups
from niaga.analytics.counting import CANCELLED, tally
from niaga.analytics.metrics import percent
from niaga.analytics.periods import Period
from niaga.campaigns import segments
from niaga.campaigns.models import ChatLink, Segment
from niaga.inbox.models import Message
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
            for counted, value in tally(direction, status, int(n)).items():
                row[counted] += value
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
    """One row per source (each click-to-chat link its own): chats, orders, revenue and
    conversion = orders ÷ chats × 100 %, from the daily rollups."""
    first, last = period.first, period.last
    rows: dict[tuple[str, int | None], dict[str, int]] = defaultdict(
        lambda: {"chats": 0, "orders": 0, "revenue": 0}
    )
    came = chat_counts.by_source(session, first, last)
    for source, n in came.items():
        rows[_row_key(source)]["chats"] += n
    started = rollups.chats(session, first, last) - sum(came.values())
    if started:
        rows["conversation", None]["chats"] += started
    totals = rollups.sums(session, first, last)
    for (metric, key), n in totals.items():
        if metric in ("origin.orders", "origin.revenue") and n:
            rows[_row_key(key)][metric.partition(".")[2]] += n
    # The owner's goals, by where the chat came from the day it reached them; the rest of a
    # goal's chats are ones the customers started.
    reached: dict[tuple[str, int | None], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    split = goals.split(totals, goals.SOURCE_METRIC)
    for (metric, key), total in totals.items():
        if metric != goals.METRIC or not total:
            continue
        per_source = split.get(int(key), {})
        for source, n in per_source.items():
            reached[_row_key(source)][int(key)] += n
        if total > sum(per_source.values()):
            reached["conversation", None][int(key)] += total - sum(per_source.values())
    for row_key in reached:
        rows[row_key]  # a source with conversions shows even without chats counted under it
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
                "goals": goal_rates(reached.get((source, link), {}), row["chats"]),
            }
        )
    return out


def goal_rates(reached: dict[int, int], chats: int) -> dict[int, dict[str, Any]]:
    """Each goal's conversions of a split's row and its rate: those ÷ the row's chats × 100 %."""
    return {
        goal: {"conversions": n, "conversion_rate": percent(n, chats)}
        for goal, n in sorted(reached.items())
    }


def _row_key(source: str) -> tuple[str, int | None]:
    """A stored source ("ad", "link:12", an order's source) as its row."""
    if source.startswith("link:"):
        return ("click_to_chat", int(source.removeprefix("link:")))
    return (source if source in SOURCES else "conversation", None)
