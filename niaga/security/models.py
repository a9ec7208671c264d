"""Users, sessions, API tokens, second factors, the security policy and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps

ROLES = ("owner", "admin", "agent", "analyst")


class User(Timestamps, Base):
    """A person who signs in to Niaga."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="id")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Routing: an agent takes new chats while available and under capacity (open chats).
    available: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int] = mapped_column(default=20)
    last_seen_at: Mapped[datetime | None]
    # Second factor (TOTP): secrets encrypted at rest (security.crypto); the last time step
    # used, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_pending: Mapped[str | None] = mapped_column(String(300))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    password_changed_at: Mapped[datetime | None]
    # Grants and withdrawals on top of the role's permissions (security.permissions).
    permissions: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RecoveryCode(Base):
    """A one-time code that replaces the second factor once (its SHA-256 only)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    used_at: Mapped[datetime | None]


class TrustedDevice(Base):
    """A browser where a user chose "remember this device": no second factor there until it
    expires or is forgotten (the cookie's SHA-256 only)."""

    __tablename__ = "trusted_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]


class SecurityPolicy(Timestamps, Base):
    """The owner's account rules (one row): who needs a second factor, how long devices are
    remembered, session timeouts and how many devices one person may be signed in on."""

    __tablename__ = "security_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    require_2fa: Mapped[str] = mapped_column(String(16), default="off")  # off | admins | everyone
    remember_days: Mapped[int] = mapped_column(default=30)
    idle_minutes: Mapped[int] = mapped_column(default=14 * 24 * 60)
    absolute_hours: Mapped[int] = mapped_column(default=30 * 24)
    max_devices: Mapped[int | None]
    # The sensitive-data guard (security.guard): an agent's message with a card number,
    # NIK, bank account or password is let through, warned about or blocked; customers'
    # such values masked when stored; the shop's own account numbers never count.
    guard_outgoing: Mapped[str] = mapped_column(String(8), default="warn")  # off|warn|block
    guard_mask_inbound: Mapped[bool] = mapped_column(default=False)
    guard_allowed: Mapped[list[str]] = mapped_column(JSONType, default=list)


class Team(Timestamps, Base):
    """A group of agents that chats are routed to (e.g. Penjualan, Dukungan, Keluhan)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))


class TeamMember(Base):
    """A user's membership of a team."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of the cookie value is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token for ``/api/v1``; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None only for tokens made before expiry existed


class Invite(Base):
    """An invitation to join: the invitee sets a password through a one-time link."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    team_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SignInThrottle(Base):
    """Failed sign-ins per account (``account:<email>``) and per address (``ip:<addr>``)."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AuditEntry(Base):
    """One security or data event; append-only, chained by ``hash`` (see security.audit)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None] = mapped_column(unique=True)  # set when sealed at commit
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    target_kind: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditChain(Base):
    """The head of the audit chain: the last sealed entry's number and hash (one row)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime | None]


class StoredSecret(Base):
    """A credential kept in the database instead of the environment (the WhatsApp access token,
    the app secret, the SMTP password), encrypted at rest (security.crypto)."""

    __tablename__ = "stored_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(4000))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
