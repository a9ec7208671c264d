"""Automation data: business profile and hours, rules, trigger records, action log, CSAT."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps


class BusinessProfile(Timestamps, Base):
    """The one business profile (row id 1): what customers see, opening hours, auto-texts.

    ``hours`` maps ``mon``..``sun`` to ``[["09:00", "17:00"], ...]`` in local time (an interval
    that ends before it starts runs past midnight); ``holidays`` lists local ``YYYY-MM-DD``.
    Empty auto-texts mean "use Niaga's default text in the profile's locale".
    """

    __tablename__ = "business_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(512), default="")
    about: Mapped[str] = mapped_column(String(139), default="")
    address: Mapped[str] = mapped_column(String(256), default="")
    email: Mapped[str] = mapped_column(String(128), default="")
    website: Mapped[str] = mapped_column(String(256), default="")
    category: Mapped[str] = mapped_column(String(32), default="RETAIL")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Jakarta")
    locale: Mapped[str] = mapped_column(String(8), default="id")
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    holidays: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    away: Mapped[bool] = mapped_column(default=False)
    catalog_url: Mapped[str] = mapped_column(String(256), default="")
    support_contact: Mapped[str] = mapped_column(String(256), default="")
    greeting_text: Mapped[str] = mapped_column(Text, default="")
    away_text: Mapped[str] = mapped_column(Text, default="")
    ack_text: Mapped[str] = mapped_column(Text, default="")
    # Names shown beside ``holidays`` (national ones from the ``holidays`` package, or the owner's).
    holiday_names: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    # The photo WhatsApp shows, a file under the media folder; synced when it differs.
    photo_file: Mapped[str | None] = mapped_column(String(200))
    photo_synced_file: Mapped[str | None] = mapped_column(String(200))
    greeting_after_days: Mapped[int] = mapped_column(default=14)
    default_response_minutes: Mapped[int] = mapped_column(default=15)
    # 0: an agent is online while ``User.available``; N: also seen in the last N minutes.
    presence_minutes: Mapped[int] = mapped_column(default=0)
    sync_requested_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    sync_error: Mapped[str | None] = mapped_column(Text)


class AutomationRule(Timestamps, Base):
    """A rule stored as data: trigger, conditions and actions are validated JSON."""

    __tablename__ = "automation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Lower runs first; the default set orders complaint before product questions.
    priority: Mapped[int] = mapped_column(default=100)
    trigger: Mapped[dict[str, Any]]
    trigger_type: Mapped[str] = mapped_column(String(40), index=True)
    conditions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    actions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    stop_processing: Mapped[bool] = mapped_column(default=False)
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class AutomationTrigger(Base):
    """One occurrence of a trigger, recorded once (``key`` is its idempotency key).

    Written in the same transaction as every action it causes: a crash before the commit
    leaves no record (catch-up runs it again), a second delivery finds the key and does nothing.
    """

    __tablename__ = "automation_triggers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    trigger_type: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[int | None] = mapped_column(index=True)
    message_id: Mapped[int | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    matched: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AutomationAction(Base):
    """The action log: every action a rule took (or skipped, with the reason)."""

    __tablename__ = "automation_actions"
    __table_args__ = (
        Index("ix_automation_actions_rule", "rule_id", "created_at"),
        Index("ix_automation_actions_conv", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_triggers.id", ondelete="CASCADE")
    )
    rule_id: Mapped[int | None]
    rule_name: Mapped[str] = mapped_column(String(200), default="")
    conversation_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(40))
    # done | skipped | failed
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    depth: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    # Set instead of ``trigger_id`` while the trigger is not flushed yet (a set-based round
    # inserts both in one flush, triggers first).
    trigger: Mapped[AutomationTrigger | None] = relationship()


class CsatSurvey(Base):
    """A satisfaction question after a chat was resolved, and the customer's answer."""

    __tablename__ = "csat_surveys"
    __table_args__ = (
        Index("ix_csat_surveys_contact", "contact_id", "asked_at"),
        Index("ix_csat_surveys_answered", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    rule_id: Mapped[int | None]
    message_id: Mapped[int | None]
    asked_at: Mapped[datetime] = mapped_column(default=clock.now)
    rating: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


class ResponseSample(Base):
    """How long a customer waited for a human's first reply (feeds the honest ETA)."""

    __tablename__ = "response_samples"
    __table_args__ = (
        UniqueConstraint("message_id"),
        Index("ix_response_samples_team", "team_id", "created_at"),
        Index("ix_response_samples_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[int]
    seconds: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class RoutingCursor(Base):
    """Round-robin position of a team: the agent who got the last chat."""

    __tablename__ = "routing_cursors"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    last_user_id: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
