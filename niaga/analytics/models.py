"""Analytics' own tables: what the owner spends besides Meta's charges, the business's bands,
and the daily rollups the reports read. Analytics never writes the other domains' records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, Timestamps

COST_KINDS = ("ads", "staff", "other")


class OwnerCost(Timestamps, Base):
    """A cost on a local day of the business, in rupiah."""

    __tablename__ = "owner_costs"
    __table_args__ = (Index("ix_owner_costs_spent_on", "spent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spent_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # ads | staff | other
    amount: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class FigureBand(Base):
    """The business's own band for a figure (the guide's when none is kept): at or above
    ``good`` is good, at or below ``poor`` is poor, between is fair."""

    __tablename__ = "analytics_bands"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    good: Mapped[float] = mapped_column(Float)
    poor: Mapped[float] = mapped_column(Float)


class DailyFigure(Base):
    """One additive figure of one local day of the business: ``metric`` with an optional
    ``key`` (Meta's error code, ``country|category`` of a charge, an order's source)."""

    __tablename__ = "analytics_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    value: Mapped[int] = mapped_column(BigInteger)


class ChatDay(Base):
    """A conversation active on a local day: the customer wrote (``user_id`` 0) or a person
    answered (their id). Distinct chats over any span are counted from these."""

    __tablename__ = "analytics_chat_days"
    # a chat's earlier days, for whether it is new in the week or month (:mod:`chat_counts`)
    __table_args__ = (Index("ix_analytics_chat_days_chat", "conversation_id", "user_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    conversation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # For the customer's row: where the chat came from that day ("ad", "link:<id>",
    # "campaign"; empty: a chat they started), see :mod:`niaga.analytics.dimensions`.
    source: Mapped[str] = mapped_column(String(24), default="", server_default="")


class RollupState(Base):
    """Where the rollups stand: the time zone they were cut in, the last message, status
    event and order seen, and when the recent days were last settled."""

    __tablename__ = "analytics_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    zone: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(BigInteger, default=0)
    status_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    orders_changed_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]


class ReportDelivery(Base):
    """A scheduled report to one recipient: claimed (``sending``) before it goes, so a crash
    never sends it twice (left ``sending``, it becomes ``in_doubt`` and is not sent again)."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("kind", "period_first", "channel", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # week | month
    period_first: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16), default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16))  # sending | sent | failed | in_doubt
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    next_try_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class Ga4Event(Base):
    """A conversion queued for Google Analytics 4 (Measurement Protocol): a purchase when an
    order is made, a refund when a reported one is cancelled. Kept until GA4 takes it, so the
    feed survives being offline (GA4 accepts events up to 72 hours old; older ones expire)."""

    __tablename__ = "ga4_events"
    __table_args__ = (
        UniqueConstraint("kind", "order_id"),
        Index("ix_ga4_events_state_next", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # purchase | refund
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    # pending | sent | refused (GA4 said no) | expired (older than 72 h) | withdrawn
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]


class ResponseWait(Base):
    """A first response's wait, on the local day it was answered, in clock time and in the
    business's opening hours (worked out once, when the day is rolled up, with the hours and
    holidays of that time), so the figures never recompute opening hours per wait."""

    __tablename__ = "analytics_waits"
    __table_args__ = (Index("ix_analytics_waits_day", "day"),)

    sample_id: Mapped[int] = mapped_column(
        ForeignKey("response_samples.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int | None]
    team_id: Mapped[int | None]
    conversation_id: Mapped[int]
    seconds: Mapped[float]
    business_seconds: Mapped[float]


class PeriodCount(Base):
    """A figure that days cannot add up, kept for weeks and months that have ended and
    worked out again whenever one of their days is cut, so reading a past period never reads
    its waits: first responses' and times to resolve's medians and buckets, each person's
    median first response (-1: no median)."""

    __tablename__ = "analytics_period_counts"

    first: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class ResolutionTime(Base):
    """A chat resolved: how long since the customer's first message after its previous
    resolution, in clock time and in opening hours, on the local day it was resolved."""

    __tablename__ = "analytics_resolutions"
    __table_args__ = (Index("ix_analytics_resolutions_day", "day"),)

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_activities.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date)
    conversation_id: Mapped[int]
    team_id: Mapped[int | None]
    seconds: Mapped[float]
    business_seconds: Mapped[float]


GOAL_KINDS = ("label", "phrase")


class ConversionGoal(Base):
    """A conversion the owner defines besides orders: a chat that gets a label (an agent's
    "Booking", a rule's "Daftar") or where the customer writes one of some phrases ("sudah
    transfer", a button's title). Counted per local day as chats reaching it."""

    __tablename__ = "analytics_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # label | phrase
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"))
    # the phrases of a phrase goal, as {"phrases": [...]}
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # when the goal's past days were last counted (None: being counted)
    counted_at: Mapped[datetime | None]
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
