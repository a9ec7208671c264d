"""Customer groups with their members, and polls with their votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps

MEMBER_SOURCES = ("rule", "hand", "resolve")


class CommunityGroup(Timestamps, Base):
    """A group of customers, joined by rule or by hand; a campaign audience.

    ``mode`` says how it reaches its members: ``broadcast`` (each member in their own chat,
    what works for any number) — Meta's Groups API allows 8 participants per group and needs an
    Official Business Account, so a shop's loyal customers are a broadcast group."""

    __tablename__ = "community_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # {"min_orders": 3, "min_points_12m": 500, "on_resolve": true}
    join_rule: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Sent in the chat when a customer joins (empty: nothing).
    welcome_text: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16), default="broadcast")
    # A real WhatsApp group (Meta's Groups API), for a group of at most 8: asked for with
    # ``wa_request_id``, named by the group_lifecycle_update webhook, joined by invite link.
    wa_request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    wa_group_id: Mapped[str | None] = mapped_column(String(128))
    invite_link: Mapped[str | None] = mapped_column(String(256))
    # Meta's refusal (e.g. not an Official Business Account): the group stays a broadcast one.
    wa_error: Mapped[str | None] = mapped_column(Text)


class GroupMember(Base):
    """A customer in a group; leaving keeps the row (``left_at``) so a rule does not add them
    back."""

    __tablename__ = "community_members"
    __table_args__ = (
        UniqueConstraint("group_id", "contact_id"),
        Index("ix_community_members_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("community_groups.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16), default="hand")
    joined_at: Mapped[datetime] = mapped_column(default=clock.now)
    left_at: Mapped[datetime | None]
    # The WhatsApp group (when the group has one): when the link was sent, when they joined,
    # when Niaga took them out after they left the Niaga group.
    invited_at: Mapped[datetime | None]
    wa_joined_at: Mapped[datetime | None]
    wa_removed_at: Mapped[datetime | None]


class Poll(Timestamps, Base):
    """A question with 2-10 answers, sent as a template with one quick-reply button each."""

    __tablename__ = "community_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(1024))
    options: Mapped[list[str]] = mapped_column(JSONType, default=list)
    template_name: Mapped[str] = mapped_column(String(512))
    # Tell each voter the result when the poll closes (in their chat, inside the window).
    share_results: Mapped[bool] = mapped_column(default=False)
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class PollVote(Base):
    """One customer's answer (a second tap changes it)."""

    __tablename__ = "community_poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("community_polls.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    option: Mapped[int]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    voted_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Set when the result was sent to this voter.
    told_at: Mapped[datetime | None]
