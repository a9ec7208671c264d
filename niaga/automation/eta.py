"""An honest expected response time: the team's queue and its recent first-response times."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.automation import batch as round_batch
from niaga.automation.models import BusinessProfile, ResponseSample
from niaga.automation.routing import queue_position, team_agents
from niaga.core import clock
from niaga.inbox.models import HUMAN_ORIGINS, Conversation, Message

RECENT_SAMPLES = 20
MIN_SAMPLES = 3
SAMPLE_MAX_AGE = timedelta(days=14)


@dataclass(frozen=True)
class Estimate:
    """The expected wait and what it rests on."""

    minutes: int
    queue_ahead: int
    agents_online: int
    samples: int
    basis: str  # "history" (median of recent replies) or "default" (no history yet)


def recent_response_seconds(session: Session, team_id: int | None) -> list[float]:
    """The team's last first-response times (newest first), at most two weeks old."""
    stmt = (
        select(ResponseSample.seconds)
        .where(ResponseSample.created_at >= clock.now() - SAMPLE_MAX_AGE)
        .order_by(ResponseSample.created_at.desc(), ResponseSample.id.desc())
        .limit(RECENT_SAMPLES)
    )
    if team_id is not None:
        stmt = stmt.where(ResponseSample.team_id == team_id)
    return list(session.scalars(stmt))


def estimate(session: Session, conversation: Conversation, profile: BusinessProfile) -> Estimate:
    """Median of the team's recent first responses, times the queue rounds ahead of this chat.

    ``ahead`` chats wait before this one and ``k`` agents are online, so this chat is answered in
    round ``ahead // k + 1``; with no history the profile's default response time is used.
    """
    batch = round_batch.current(session)
    if batch is None:
        samples = recent_response_seconds(session, conversation.team_id)
    elif (samples := batch.samples.get(conversation.team_id)) is None:
        samples = batch.samples[conversation.team_id] = recent_response_seconds(
            session, conversation.team_id
        )
    if len(samples) >= MIN_SAMPLES:
        per_chat, basis = statistics.median(samples), "history"
    else:
        per_chat, basis = profile.default_response_minutes * 60.0, "default"
    ahead = queue_position(session, conversation) if conversation.assigned_user_id is None else 0
    agents = (
        len(team_agents(session, conversation.team_id, profile))
        if conversation.team_id is not None
        else 0
    )
    rounds = 1 if conversation.assigned_user_id is not None else ahead // max(agents, 1) + 1
    minutes = max(1, math.ceil(per_chat * rounds / 60))
    return Estimate(minutes, ahead, agents, len(samples), basis)


def do_record_first_response(session: Session, message_id: int) -> ResponseSample | None:
    """When a person replies, record how long the customer waited since their first unanswered
    message (one sample per reply that ended a wait)."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "out" or message.origin not in HUMAN_ORIGINS:
        return None
    if session.scalar(select(ResponseSample.id).where(ResponseSample.message_id == message_id)):
        return None
    previous_human = session.scalar(
        select(Message.created_at)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.direction == "out",
            Message.origin.in_(HUMAN_ORIGINS),
            Message.id != message.id,
            Message.created_at <= message.created_at,
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    stmt = select(Message.created_at).where(
        Message.conversation_id == message.conversation_id,
        Message.direction == "in",
        Message.created_at <= message.created_at,
    )
    if previous_human is not None:
        stmt = stmt.where(Message.created_at > previous_human)
    first_waiting = session.scalar(stmt.order_by(Message.created_at).limit(1))
    if first_waiting is None:
        return None
    conversation = session.get_one(Conversation, message.conversation_id)
    sample = ResponseSample(
        conversation_id=conversation.id,
        team_id=conversation.team_id,
        user_id=message.sent_by_user_id or conversation.assigned_user_id,
        message_id=message.id,
        seconds=max(0.0, (message.created_at - clock.as_utc(first_waiting)).total_seconds()),
    )
    session.add(sample)
    session.flush()
    return sample
