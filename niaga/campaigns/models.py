"""Campaigns' tables: click-to-chat links and the chats they started."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, Timestamps

# Where a link is put: each gets its own link, so chats and sales are counted per place.
LINK_PLACES = ("instagram", "facebook", "facebook_ad", "x", "tiktok", "website", "poster", "other")


class ChatLink(Timestamps, Base):
    """A ``wa.me`` link with a prefilled text carrying its code, for one place."""

    __tablename__ = "chat_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)  # what the customer's first message says
    locale: Mapped[str] = mapped_column(String(8), default="id")
    active: Mapped[bool] = mapped_column(default=True)


class ChatLinkStart(Base):
    """A customer's message that came through a link (its code in the text)."""

    __tablename__ = "chat_link_starts"
    __table_args__ = (Index("ix_chat_link_starts_link_at", "link_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("chat_links.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Segment(Timestamps, Base):
    """A saved audience: a name and its rule (``segments.SegmentRule``); counted live."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rule: Mapped[dict[str, Any]]


CAMPAIGN_STATUSES = ("draft", "scheduled", "running", "paused", "completed", "cancelled")


class Campaign(Timestamps, Base):
    """A template sent to an audience: scheduled, then sent at a bounded pace so an opt-out or
    a pause takes effect within a second or two."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status_at", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    template_id: Mapped[int] = mapped_column(ForeignKey("message_templates.id"))
    params: Mapped[dict[str, Any]]  # parameter -> personalise.ParameterValue
    rule: Mapped[dict[str, Any]]  # the audience (segments.SegmentRule), fixed when it starts
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    phone_number_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    require_consent: Mapped[bool] = mapped_column(default=True)
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    audience_built: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)  # why it waits (quiet hours, the limit)
    # Where the template's tracked link button leads (each recipient's /l/<code> redirects here).
    link_url: Mapped[str | None] = mapped_column(String(2000))
    # What an A/B test compares: read | replied | clicked | orders (per message sent).
    ab_metric: Mapped[str] = mapped_column(String(16), default="read")
    # Send again, once, 24 h after Meta's 131049 (its per-customer marketing limit).
    retry_limited: Mapped[bool] = mapped_column(default=False)
    # A/B test on a share first (per cent of the audience); the rest is held and gets the
    # winning variant after ``winner_after_hours`` (or when the owner says so).
    test_share: Mapped[int | None]
    winner_after_hours: Mapped[float | None] = mapped_column(Float)
    winner_label: Mapped[str | None] = mapped_column(String(8))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What it is on the content calendar: a promotion ("broadcast"), a tip, a tutorial,
    # product news, or a poll (then ``poll_id``: each answer button carries its payload).
    kind: Mapped[str] = mapped_column(String(16), default="broadcast")
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_polls.id", ondelete="SET NULL")
    )


class CampaignVariant(Base):
    """One arm of an A/B test: its own template and parameters, and its share of recipients."""

    __tablename__ = "campaign_variants"
    __table_args__ = (UniqueConstraint("campaign_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(8))  # A, B, C…
    template_id: Mapped[int] = mapped_column(ForeignKey("message_templates.id"))
    params: Mapped[dict[str, Any]]
    share: Mapped[int] = mapped_column(default=1)  # relative weight


class CampaignRecipient(Base):
    """One customer of a campaign, once (the unique key holds across crashes). Until sent it is
    ``queued`` or ``skipped`` with the reason; once sent, its state is its message's."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_campaign_recipients_state", "campaign_id", "state", "id"),
        Index("ix_campaign_recipients_sent", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | sent | skipped
    reason: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    sent_at: Mapped[datetime | None]
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign_variants.id", ondelete="SET NULL")
    )
    link_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    attempt: Mapped[int] = mapped_column(default=0)  # 1: sent again after Meta's 131049
    clicked_at: Mapped[datetime | None]
    clicks: Mapped[int] = mapped_column(default=0)


PRICING_CATEGORIES = ("marketing", "utility", "authentication")


class PricingRate(Timestamps, Base):
    """Meta's price of one delivered template message of a category to a country (its calling
    code; ``*`` for every other), as the owner copied it from Meta's rate card."""

    __tablename__ = "pricing_rates"
    __table_args__ = (UniqueConstraint("country_code", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(String(4))
    category: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))  # USD | IDR
    rate: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))


class MessagingLimit(Base):
    """Meta's messaging limit of a business number, as last read through the Graph API."""

    __tablename__ = "messaging_limits"

    phone_number_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16))
    limit: Mapped[int | None]  # None: unlimited
    checked_at: Mapped[datetime] = mapped_column(default=clock.now)
