"""The period's figures split by team, label, campaign, template, segment or source, with the
same formulas as :mod:`niaga.analytics.metrics`: which team is slow, which label's customers
buy, which campaign and which template are read and answered (segments and sources:
:mod:`niaga.analytics.origins`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.analytics import chat_counts, goals, origins, rollups, sentiment
from niaga.analytics.counting import (
    ACCEPTED,
    REPLY_WINDOW,
    first_replies,
)
from niaga.analytics.metrics import percent
from niaga.analytics.models import ChatDay, ResponseWait
from niaga.analytics.periods import Period
from niaga.automation.models import CsatSurvey
from niaga.campaigns import service as campaigns
from niaga.campaigns.models import Campaign, CampaignRecipient
from niaga.contacts.models import Label
from niaga.inbox.models import Conversation, ConversationLabel, Message
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
    label (a conversation with two labels counts in both), from the daily rollups; first
    responses by the team that answered."""
    first, last = period.first, period.last
    if by == "team":
        names = dict(session.execute(select(Team.id, Team.name)).all())
        group, joined = Conversation.team_id, Conversation.id
    else:
        names = dict(session.execute(select(Label.id, Label.name)).all())
        group, joined = ConversationLabel.label_id, ConversationLabel.conversation_id
    rows: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {"sent": 0, "read": 0, "received": 0, "orders": 0, "revenue": 0, "chats": 0}
    )
    totals = rollups.sums(session, first, last)
    for (metric, key), n in totals.items():
        kind, _, name = metric.partition(".")
        if kind == by and n:
            rows[int(key) if key else None][name] += n
    if by == "team":  # by the chat's team when its day was cut, like the other figures
        for key, n in chat_counts.by_team(session, first, last).items():
            rows[key]["chats"] = n
    else:
        for key, n in session.execute(
            select(group, func.count(func.distinct(ChatDay.conversation_id)))
            .select_from(ChatDay)
            .join(joined.class_, joined == ChatDay.conversation_id)
            .where(ChatDay.user_id == rollups.CUSTOMER, ChatDay.day >= first, ChatDay.day <= last)
            .group_by(group)
        ):
            rows[key]["chats"] = int(n)
    waits = (
        rollups.wait_medians(session, ResponseWait.team_id, first, last)
        if by == "team"
        else rollups.wait_medians(
            session,
            ConversationLabel.label_id,
            first,
            last,
            join=(
                ConversationLabel,
                ConversationLabel.conversation_id == ResponseWait.conversation_id,
            ),
        )
    )
    ratings: dict[Any, list[int]] = defaultdict(list)
    for key, rating in session.execute(
        select(group, CsatSurvey.rating)
        .select_from(CsatSurvey)
        .join(joined.class_, joined == CsatSurvey.conversation_id)
        .where(
            CsatSurvey.rating.is_not(None),
            CsatSurvey.answered_at >= period.start,
            CsatSurvey.answered_at < period.end,
        )
    ):
        ratings[key].append(int(rating))
    reached: dict[Any, dict[int, int]] = defaultdict(dict)
    # the owner's goals, by the chat's team (or labels) when it reached them
    metric = goals.TEAM_METRIC if by == "team" else goals.LABEL_METRIC
    for goal, per_group in goals.split(totals, metric).items():
        for group_key, n in per_group.items():
            reached[int(group_key) if group_key else None][goal] = n
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
                "first_response_median": waits.get(key),
                "csat_average": round(statistics.fmean(ratings[key]), 2)
                if ratings.get(key)
                else None,
                "goals": origins.goal_rates(reached.get(key, {}), row["chats"]),
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
    """Each template sent in the period: sent, read, answered within 24 hours (rollups)."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "read": 0, "replied": 0})
    for (metric, key), n in rollups.sums(session, period.first, period.last).items():
        kind, _, name = metric.partition(".")
        if kind == "template" and n:
            rows[key or NONE]["replied" if name == "answered" else name] += n
    return [
        {
            "name": name,
            **row,
            "open_rate": percent(row["read"], row["sent"]),
            "response_rate": percent(row["replied"], row["sent"]),
        }
        for name, row in sorted(rows.items(), key=lambda kv: -kv[1]["sent"])
    ]
