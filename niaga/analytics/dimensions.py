"""A day's figures per dimension, cut with the rest of the day by :mod:`rollups` so the splits
never read a period's raw messages: per template (sent, read, answered within 24 hours), per
team and per label (sent, read, received, orders, revenue; a chat's team and labels as they
are when the day is cut, and a chat with two labels counts under both), and where each chat
of the day came from (an ad, a click-to-chat link, a campaign) with orders by their source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from niaga.analytics.counting import ACCEPTED, CANCELLED, READ, REPLY_WINDOW, tally
from niaga.analytics.periods import Period
from niaga.campaigns.models import ChatLink, ChatLinkStart
from niaga.core import clock
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.orders.models import Order

NONE = ""  # the key of "no team"
AD, CAMPAIGN = "ad", "campaign"


def link_key(link_id: int) -> str:
    return f"link:{link_id}"


def templates(
    figures: Counter[tuple[str, str]],
    sent: Sequence[tuple[Any, str]],
    answered: Sequence[bool],
) -> None:
    """Each template's sent, read and answered of the day from (status, name) and whether
    each was answered within 24 hours."""
    for (status, name), replied in zip(sent, answered, strict=True):
        figures["template.sent", name] += 1
        figures["template.read", name] += 1 if status in READ else 0
        figures["template.answered", name] += 1 if replied else 0


def groups(session: Session, p: Period, figures: Counter[tuple[str, str]]) -> None:
    """Sent, read, received, orders and revenue of the day per team and per label."""
    in_day = and_(Message.created_at >= p.start, Message.created_at < p.end)
    orders_in_day = and_(
        Order.created_at >= p.start, Order.created_at < p.end, Order.status != CANCELLED
    )
    for name, group, joined in (
        ("team", Conversation.team_id, Conversation.id),
        ("label", ConversationLabel.label_id, ConversationLabel.conversation_id),
    ):
        table = joined.class_
        for key, direction, status, n in session.execute(
            select(group, Message.direction, Message.status, func.count())
            .select_from(Message)
            .join(table, joined == Message.conversation_id)
            .where(in_day)
            .group_by(group, Message.direction, Message.status)
        ):
            k = NONE if key is None else str(key)
            for counted, value in tally(direction, status, int(n)).items():
                figures[f"{name}.{counted}", k] += value
        for key, n, total in session.execute(
            select(group, func.count(func.distinct(Order.id)), func.sum(Order.total))
            .select_from(Order)
            .join(table, joined == Order.conversation_id)
            .where(orders_in_day)
            .group_by(group)
        ):
            k = NONE if key is None else str(key)
            figures[f"{name}.orders", k] += int(n)
            figures[f"{name}.revenue", k] += int(total or 0)


def origins(session: Session, p: Period, figures: Counter[tuple[str, str]]) -> dict[int, str]:
    """Where each chat the customer wrote in that day came from (ad, ``link:<id>``, campaign;
    absent: a chat they started)."""
    inbound: dict[int, list[tuple[Any, int, bool]]] = {}
    for conversation_id, message_id, at, referral in session.execute(
        select(Message.conversation_id, Message.id, Message.created_at, Message.referral).where(
            Message.direction == "in", Message.created_at >= p.start, Message.created_at < p.end
        )
    ):
        inbound.setdefault(int(conversation_id), []).append(
            (clock.as_utc(at), int(message_id), referral is not None)
        )
    links = dict(
        session.execute(
            select(ChatLinkStart.message_id, ChatLinkStart.link_id).where(
                ChatLinkStart.at >= p.start - REPLY_WINDOW, ChatLinkStart.at < p.end
            )
        ).all()
    )
    campaigns: dict[int, list[Any]] = {}
    for conversation_id, at in session.execute(
        select(Message.conversation_id, Message.created_at).where(
            Message.direction == "out",
            Message.origin == "campaign",
            Message.status.in_(ACCEPTED),
            Message.created_at >= p.start - REPLY_WINDOW,
            Message.created_at < p.end,
        )
    ):
        if int(conversation_id) in inbound:
            campaigns.setdefault(int(conversation_id), []).append(clock.as_utc(at))
    sources: dict[int, str] = {}
    for conversation_id, found in inbound.items():
        found.sort()
        source = _source_of(found, links, campaigns.get(conversation_id, []))
        if source:
            sources[conversation_id] = source
    return sources


def orders(session: Session, p: Period, figures: Counter[tuple[str, str]]) -> None:
    """The day's orders and revenue (cancelled ones left out), in all, by the source their
    attribution chose, and by source with click-to-chat ones by link."""
    codes = dict(session.execute(select(ChatLink.code, ChatLink.id)).all())
    for source, attribution, total in session.execute(
        select(Order.source, Order.attribution, Order.total).where(
            Order.created_at >= p.start, Order.created_at < p.end, Order.status != CANCELLED
        )
    ):
        total, key = int(total or 0), str(source)
        figures["orders", ""] += 1
        figures["revenue", ""] += total
        figures["orders_source", key] += 1
        figures["revenue_source", key] += total
        if source == "click_to_chat":
            code = ((attribution or {}).get("click_to_chat") or {}).get("link_code")
            link = codes.get(str(code).upper()) if code else None
            key = link_key(link) if link else key
        figures["origin.orders", key] += 1
        figures["origin.revenue", key] += total
    earlier = aliased(Order)
    new_customers = session.scalar(
        select(func.count(func.distinct(Order.contact_id))).where(
            Order.created_at >= p.start,
            Order.created_at < p.end,
            Order.status != CANCELLED,
            ~select(earlier.id)
            .where(
                earlier.contact_id == Order.contact_id,
                earlier.status != CANCELLED,
                earlier.created_at < p.start,
            )
            .exists(),
        )
    )
    # customers whose first order (cancelled ones left out) is that day's
    figures["new_customers", ""] += int(new_customers or 0)


def _source_of(
    inbound: list[tuple[Any, int, bool]], links: dict[int, int], campaign_times: list[Any]
) -> str:
    """A chat's source that day: an ad's referral on any of the customer's messages, else a
    link's code, else a campaign answered within 24 hours, else none."""
    if any(from_ad for _, _, from_ad in inbound):
        return AD
    for _, message_id, _ in inbound:
        if message_id in links:
            return link_key(links[message_id])
    for at, _, _ in inbound:
        if any(sent < at <= sent + REPLY_WINDOW for sent in campaign_times):
            return CAMPAIGN
    return ""
