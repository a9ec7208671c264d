"""The period's figures split by team, label, campaign, template, segment or source, with the
same formulas as :mod:`niaga.analytics.metrics`: which team is slow, which label's customers
buy, which campaign and which template are read and answered (segments and sources:
:mod:`niaga.analytics.origins`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from niaga.analytics import origins, sentiment
from niaga.analytics.counting import (
    ACCEPTED,
    CANCELLED,
    READ,
    REPLY_WINDOW,
    answered_within,
    first_replies,
)
from niaga.analytics.metrics import percent
from niaga.analytics.periods import Period
from niaga.automation.models import CsatSurvey, ResponseSample
from niaga.campaigns import service as campaigns
from niaga.campaigns.models import Campaign, CampaignRecipient
from niaga.contacts.models import Label
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.orders.models import Order
from niaga.security.models import Team

By = Literal["team", "label", "campaign", "template", "segment", "source"]
NONE = "—"


def breakdown(session: Session, period: Period, by: By) -> list[dict[str, Any]]:
    """One row per team, label, campaign, template, segment or source that had activity in
    ``period`` (every saved segment)."""
    if by == "segment":
        return origins.by_segment(session, period)
    if by == "source":
        return origins.by_source(session, period)
    if by == "campaign":
        return _campaigns(session, period)
    if by == "template":
        return _templates(session, period)
    return _conversation_groups(session, period, by)


def _conversation_groups(session: Session, period: Period, by: By) -> list[dict[str, Any]]:
    """Messages, reads, orders, first responses and ratings by the conversation's team or
    label (a conversation with two labels counts in both)."""
    start, end = period.start, period.end
    if by == "team":
        group = Conversation.team_id
        names = dict(session.execute(select(Team.id, Team.name)).all())

        def joined(stmt: Any, conversation_id: Any) -> Any:
            return stmt.join(Conversation, Conversation.id == conversation_id)

    else:
        group = ConversationLabel.label_id
        names = dict(session.execute(select(Label.id, Label.name)).all())

        def joined(stmt: Any, conversation_id: Any) -> Any:
            on = ConversationLabel.conversation_id == conversation_id
            return stmt.join(ConversationLabel, on)

    rows: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"sent": 0, "read": 0, "received": 0, "orders": 0, "revenue": 0, "chats": 0}
    )
    in_period = and_(Message.created_at >= start, Message.created_at < end)
    for key, direction, status, n in session.execute(
        joined(
            select(group, Message.direction, Message.status, func.count()).select_from(Message),
            Message.conversation_id,
        )
        .where(in_period)
        .group_by(group, Message.direction, Message.status)
    ):
        row = rows[key]
        if direction == "in":
            row["received"] += int(n)
        elif status in ACCEPTED:
            row["sent"] += int(n)
            row["read"] += int(n) if status in READ else 0
    for key, n in session.execute(
        joined(
            select(group, func.count(func.distinct(Message.conversation_id))).select_from(Message),
            Message.conversation_id,
        )
        .where(in_period, Message.direction == "in")
        .group_by(group)
    ):
        rows[key]["chats"] = int(n)
    for key, n, total in session.execute(
        joined(
            select(group, func.count(func.distinct(Order.id)), func.sum(Order.total)).select_from(
                Order
            ),
            Order.conversation_id,
        )
        .where(Order.created_at >= start, Order.created_at < end, Order.status != CANCELLED)
        .group_by(group)
    ):
        rows[key]["orders"], rows[key]["revenue"] = int(n), int(total or 0)
    waits: dict[Any, list[float]] = defaultdict(list)
    for key, seconds in session.execute(
        joined(
            select(group, ResponseSample.seconds).select_from(ResponseSample),
            ResponseSample.conversation_id,
        ).where(ResponseSample.created_at >= start, ResponseSample.created_at < end)
    ):
        waits[key].append(float(seconds))
    ratings: dict[Any, list[int]] = defaultdict(list)
    for key, rating in session.execute(
        joined(
            select(group, CsatSurvey.rating).select_from(CsatSurvey), CsatSurvey.conversation_id
        ).where(
            CsatSurvey.rating.is_not(None),
            CsatSurvey.answered_at >= start,
            CsatSurvey.answered_at < end,
        )
    ):
        ratings[key].append(int(rating))
    out = []
    for key in sorted(set(rows) | set(waits) | set(ratings), key=lambda k: (k is None, k or 0)):
        row = rows[key]
        out.append(
            {
                "id": key,
                "name": names.get(key, NONE) if key is not None else NONE,
                **row,
                "open_rate": percent(row["read"], row["sent"]),
                "conversion_rate": percent(row["orders"], row["chats"]),
                "first_response_median": round(statistics.median(waits[key]))
                if waits.get(key)
                else None,
                "csat_average": round(statistics.fmean(ratings[key]), 2)
                if ratings.get(key)
                else None,
            }
        )
    return out


def _campaigns(session: Session, period: Period) -> list[dict[str, Any]]:
    """Each campaign that sent in the period, with its funnel (the campaign's own report)."""
    ids = session.scalars(
        select(func.distinct(CampaignRecipient.campaign_id)).where(
            CampaignRecipient.sent_at >= period.start, CampaignRecipient.sent_at < period.end
        )
    ).all()
    out = []
    tones = _reply_tones(session, list(ids))
    for campaign in session.scalars(select(Campaign).where(Campaign.id.in_(ids))):
        funnel = campaigns.report(session, campaign)
        tone = tones.get(campaign.id, {})
        written = sum(tone.values())
        out.append(
            {
                "id": campaign.id,
                "name": campaign.name,
                "sent": funnel["sent"],
                "read": funnel["read"],
                "open_rate": funnel["open_rate"],
                "replied": funnel["replied"],
                "response_rate": funnel["response_rate"],
                "clicked": funnel["clicked"],
                "click_rate": percent(funnel["clicked"], funnel["sent"]),
                "orders": funnel["orders"],
                "revenue": funnel["revenue"],
                "written_replies": written,
                "positive_share": percent(tone.get("positive", 0), written),
                "negative_share": percent(tone.get("negative", 0), written),
            }
        )
    return sorted(out, key=lambda r: -r["sent"])


def _reply_tones(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """How recipients answered each campaign: the tone of each recipient's first written
    message within 24 hours of the campaign's message (:mod:`sentiment`)."""
    sent = session.execute(
        select(CampaignRecipient.campaign_id, Message.conversation_id, Message.created_at)
        .join(Message, Message.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id.in_(ids), Message.status.in_(ACCEPTED))
    ).all()
    if not sent:
        return {}
    first = min(at for _, _, at in sent)
    last = max(at for _, _, at in sent) + REPLY_WINDOW
    replies = first_replies(session, [(c, at) for _, c, at in sent], first, last)
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (campaign_id, _, _), reply in zip(sent, replies, strict=True):
        if reply is not None and reply[1]:
            out[campaign_id][sentiment.label(reply[1])] += 1
    return out


def _templates(session: Session, period: Period) -> list[dict[str, Any]]:
    """Each template sent in the period: sent, read, answered within 24 hours."""
    sent = session.execute(
        select(Message.conversation_id, Message.created_at, Message.status, Message.content).where(
            Message.direction == "out",
            Message.type == "template",
            Message.status.in_(ACCEPTED),
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
    ).all()
    answers = answered_within(session, period, [(c, at) for c, at, _, _ in sent])
    rows: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "read": 0, "replied": 0})
    for (_, _, status, content), answered in zip(sent, answers, strict=True):
        row = rows[str((content or {}).get("name") or NONE)]
        row["sent"] += 1
        row["read"] += 1 if status in READ else 0
        row["replied"] += 1 if answered else 0
    return [
        {
            "name": name,
            **row,
            "open_rate": percent(row["read"], row["sent"]),
            "response_rate": percent(row["replied"], row["sent"]),
        }
        for name, row in sorted(rows.items(), key=lambda kv: -kv[1]["sent"])
    ]
