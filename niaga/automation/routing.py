"""Routing: a team's chats go round robin to its online agents under their capacity; the rest
wait in the team's queue, drained oldest first (``Conversation.waiting_since``) whenever an
agent frees up (a chat resolved or moved away, or the agent becomes available).

Per team, routing takes a lock on the team's :class:`RoutingCursor` row (``FOR UPDATE`` on
PostgreSQL; SQLite writers are serialised anyway), so two workers never overfill an agent.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.automation import batch as round_batch
from niaga.automation.models import BusinessProfile, RoutingCursor
from niaga.automation.profile import load_profile
from niaga.core import clock
from niaga.inbox import organise
from niaga.inbox.models import Conversation
from niaga.security.models import TeamMember, User


def online_agents(session: Session, team_id: int, profile: BusinessProfile) -> list[User]:
    """Active, available members of the team (seen recently, if the profile asks for it)."""
    stmt = (
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team_id, User.is_active.is_(True), User.available.is_(True))
        .order_by(User.id)
    )
    if profile.presence_minutes:
        stmt = stmt.where(
            User.last_seen_at >= clock.now() - timedelta(minutes=profile.presence_minutes)
        )
    return list(session.scalars(stmt))


def team_agents(session: Session, team_id: int, profile: BusinessProfile) -> list[User]:
    """:func:`online_agents`, read once per automation round and team."""
    batch = round_batch.current(session)
    if batch is None:
        return online_agents(session, team_id, profile)
    if team_id not in batch.agents:
        batch.agents[team_id] = online_agents(session, team_id, profile)
    return batch.agents[team_id]


def open_load(session: Session, user_ids: list[int]) -> dict[int, int]:
    """How many unresolved chats each agent holds."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(Conversation.assigned_user_id, func.count())
        .where(Conversation.assigned_user_id.in_(user_ids), Conversation.status != "resolved")
        .group_by(Conversation.assigned_user_id)
    )
    load = dict.fromkeys(user_ids, 0)
    load.update({uid: n for uid, n in rows})
    return load


def _cursor(session: Session, team_id: int) -> RoutingCursor:
    batch = round_batch.current(session)
    if batch is None:
        return _lock_cursor(session, team_id)
    if team_id not in batch.cursors:  # locked until the round commits
        batch.cursors[team_id] = _lock_cursor(session, team_id)
    return batch.cursors[team_id]


def _lock_cursor(session: Session, team_id: int) -> RoutingCursor:
    stmt = select(RoutingCursor).where(RoutingCursor.team_id == team_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    cursor = session.scalars(stmt).first()
    if cursor is None:
        try:
            with session.begin_nested():
                cursor = RoutingCursor(team_id=team_id, last_user_id=None)
                session.add(cursor)
                session.flush()
        except IntegrityError:
            cursor = session.scalars(stmt).one()
    return cursor


def pick_agent(
    session: Session, team_id: int, profile: BusinessProfile | None = None
) -> User | None:
    """The next agent of the team in round-robin order who has room (None: all busy)."""
    profile = profile or load_profile(session)
    cursor = _cursor(session, team_id)
    agents = team_agents(session, team_id, profile)
    load = _load(session, [a.id for a in agents])
    eligible = [a for a in agents if load[a.id] < a.capacity]
    if not eligible:
        return None
    last = cursor.last_user_id or 0
    chosen = next((a for a in eligible if a.id > last), eligible[0])
    cursor.last_user_id = chosen.id
    batch = round_batch.current(session)
    if batch is not None:
        batch.load[chosen.id] = load[chosen.id] + 1
    return chosen


def _load(session: Session, user_ids: list[int]) -> dict[int, int]:
    """:func:`open_load`; in an automation round read once per agent, then kept by the round
    (every chat it routes adds one)."""
    batch = round_batch.current(session)
    if batch is None:
        return open_load(session, user_ids)
    missing = [uid for uid in user_ids if uid not in batch.load]
    if missing:
        batch.load.update(open_load(session, missing))
    return {uid: batch.load[uid] for uid in user_ids}


def do_route(
    session: Session,
    conversation: Conversation,
    *,
    rule_id: int | None = None,
    profile: BusinessProfile | None = None,
) -> User | None:
    """Give a team's unassigned chat to its next agent; None leaves it waiting in the queue."""
    if conversation.team_id is None or conversation.assigned_user_id is not None:
        return None
    if conversation.status == "resolved":
        return None
    agent = pick_agent(session, conversation.team_id, profile)
    if agent is not None:
        organise.do_assign(
            session,
            conversation,
            user_id=agent.id,
            team_id=conversation.team_id,
            rule_id=rule_id,
        )
    return agent


def waiting_query(team_id: int):  # type: ignore[no-untyped-def]
    """The team's queue: unassigned, unresolved, waiting chats, oldest first."""
    return (
        select(Conversation)
        .where(
            Conversation.team_id == team_id,
            Conversation.assigned_user_id.is_(None),
            Conversation.status != "resolved",
            Conversation.waiting_since.is_not(None),
        )
        .order_by(Conversation.waiting_since, Conversation.id)
    )


def do_drain(session: Session, team_id: int, *, limit: int = 500) -> int:
    """Give waiting chats to agents with room, oldest first; returns how many were assigned."""
    profile = load_profile(session)
    assigned = 0
    while assigned < limit:
        conversation = session.scalars(waiting_query(team_id).limit(1)).first()
        if conversation is None or do_route(session, conversation, profile=profile) is None:
            break
        assigned += 1
    return assigned


def teams_of(session: Session, user_id: int) -> list[int]:
    """The teams an agent belongs to."""
    return list(
        session.scalars(
            select(TeamMember.team_id).where(TeamMember.user_id == user_id).order_by(TeamMember.id)
        )
    )


def do_drain_for_user(session: Session, user_id: int) -> int:
    """An agent freed up: drain the queues of every team they are in."""
    return sum(do_drain(session, team_id) for team_id in teams_of(session, user_id))


def do_set_available(session: Session, user: User, available: bool) -> int:
    """An agent goes available (their teams' queues drain to them) or away."""
    user.available = available
    user.last_seen_at = clock.now()
    session.flush()
    return do_drain_for_user(session, user.id) if available else 0


def queue_position(session: Session, conversation: Conversation) -> int:
    """How many chats of the same team wait ahead of this one."""
    if conversation.team_id is None or conversation.waiting_since is None:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.team_id == conversation.team_id,
                Conversation.assigned_user_id.is_(None),
                Conversation.status != "resolved",
                Conversation.waiting_since.is_not(None),
                Conversation.id != conversation.id,
                Conversation.waiting_since <= conversation.waiting_since,
            )
        )
        or 0
    )
