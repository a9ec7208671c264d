"""Invitations: an owner or admin invites a person, who sets a password through a link."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.security import audit
from niaga.security.models import ROLES, Invite, TeamMember, User
from niaga.security.users import do_create_user

INVITE_TTL = timedelta(days=7)


class InviteError(DomainError):
    """An invitation that cannot be made or accepted."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def may_grant(actor_role: str, role: str) -> bool:
    """Owners grant any role; admins grant admin, agent and analyst; others none."""
    if actor_role == "owner":
        return role in ROLES
    if actor_role == "admin":
        return role in ("admin", "agent", "analyst")
    return False


def do_invite(
    session: Session,
    actor: User,
    *,
    email: str,
    name: str,
    role: str,
    team_ids: list[int] | None = None,
) -> tuple[Invite, str]:
    """Create an invitation; returns it and the secret for the link (shown once)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InviteError("email_invalid", "The email address is not valid.", field="email")
    if not name.strip():
        raise InviteError("name_required", "The name is required.", field="name")
    if role not in ROLES:
        raise InviteError("unknown_role", "Unknown role {role}.", field="role", role=repr(role))
    if not may_grant(actor.role, role):
        raise InviteError(
            "role_not_grantable",
            "A {actor} may not invite a {role}.",
            field="role",
            actor=actor.role,
            role=role,
        )
    if session.scalars(select(User.id).where(User.email == email)).first():
        raise InviteError(
            "email_taken", "A user with email {email} already exists.", field="email", email=email
        )
    secret = secrets.token_urlsafe(32)
    invite = Invite(
        email=email,
        name=name.strip(),
        role=role,
        team_ids=list(team_ids or []),
        token_hash=_hash(secret),
        invited_by_user_id=actor.id,
        expires_at=clock.now() + INVITE_TTL,
    )
    session.add(invite)
    session.flush()
    audit.record(
        session,
        "user.invited",
        target=("invite", invite.id),
        details={"email": email, "role": role, "teams": list(team_ids or [])},
    )
    return invite, secret


def do_revoke_invite(session: Session, invite: Invite) -> bool:
    """Revoke an invitation not yet accepted; False when it is used or already revoked."""
    if invite.accepted_at is not None or invite.revoked_at is not None:
        return False
    invite.revoked_at = clock.now()
    audit.record(
        session, "invite.revoked", target=("invite", invite.id), details={"email": invite.email}
    )
    return True


def find_open_invite(session: Session, secret: str) -> Invite | None:
    """The invitation for a link secret if it can still be accepted."""
    invite = session.scalars(select(Invite).where(Invite.token_hash == _hash(secret))).first()
    if invite is None or invite.accepted_at or invite.revoked_at:
        return None
    if invite.expires_at <= clock.now():
        return None
    return invite


def do_accept_invite(session: Session, secret: str, password: str, locale: str = "id") -> User:
    """Turn an invitation into a user with the chosen password."""
    invite = find_open_invite(session, secret)
    if invite is None:
        raise InviteError("invite_invalid", "This invitation is invalid, used or expired.")
    user = do_create_user(
        session,
        email=invite.email,
        name=invite.name,
        password=password,
        role=invite.role,
        locale=locale,
    )
    for team_id in invite.team_ids:
        session.add(TeamMember(team_id=team_id, user_id=user.id))
    invite.accepted_at = clock.now()
    session.flush()
    audit.record(
        session,
        "user.joined",
        actor=audit.AuditActor(label=user.name, via="web", user_id=user.id),
        target=("user", user.id),
        details={"email": user.email, "role": user.role, "invite": invite.id},
    )
    return user
