"""Teams of agents and their members."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from niaga.core.errors import DomainError
from niaga.security import audit
from niaga.security.models import Team, TeamMember, User


class TeamError(DomainError):
    """A team change that cannot be made."""


def do_create_team(session: Session, name: str, description: str | None = None) -> Team:
    """A new team with a unique name."""
    name = " ".join(name.split())
    if not name:
        raise TeamError("team_name_required", "The team needs a name.", field="name")
    if session.scalars(select(Team.id).where(func.lower(Team.name) == name.lower())).first():
        raise TeamError(
            "team_exists", "A team called {name} already exists.", field="name", name=name
        )
    team = Team(name=name, description=description)
    session.add(team)
    session.flush()
    return team


def get_or_create_team(session: Session, name: str) -> Team:
    """The team called ``name`` (case-insensitive), created when missing."""
    team = session.scalars(select(Team).where(func.lower(Team.name) == name.lower())).first()
    return team or do_create_team(session, name)


def do_set_members(session: Session, team: Team, user_ids: list[int]) -> None:
    """Make exactly ``user_ids`` the members of ``team``."""
    wanted = set(user_ids)
    known = set(session.scalars(select(User.id).where(User.id.in_(wanted))))
    if wanted - known:
        raise TeamError(
            "unknown_users", "Unknown users: {ids}.", field="user_ids", ids=sorted(wanted - known)
        )
    current = set(session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team.id)))
    if current - wanted:
        session.execute(
            delete(TeamMember).where(
                TeamMember.team_id == team.id, TeamMember.user_id.in_(current - wanted)
            )
        )
    for user_id in sorted(wanted - current):
        session.add(TeamMember(team_id=team.id, user_id=user_id))
    session.flush()
    if wanted != current:
        audit.record(
            session,
            "team.members",
            target=("team", team.id),
            details={"added": sorted(wanted - current), "removed": sorted(current - wanted)},
        )


def do_add_member(session: Session, team: Team, user: User) -> None:
    """Add ``user`` to ``team`` (no-op when already a member)."""
    exists = session.scalars(
        select(TeamMember.id).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    ).first()
    if not exists:
        session.add(TeamMember(team_id=team.id, user_id=user.id))
        session.flush()


def team_ids_of(session: Session, user_id: int) -> list[int]:
    """The teams ``user_id`` belongs to."""
    return list(session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id)))
