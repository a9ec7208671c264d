"""Loyalty tables: the ledger (append-only entries and the lots debits draw on), the owner's
program, rewards and the codes customers redeem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps

# Credits add a lot that later debits draw on; debits are allocated to lots (oldest expiry
# first, a cancelled order's own lot first).
CREDIT_KINDS = ("earned", "adjusted_in", "refunded")
DEBIT_KINDS = ("redeemed", "expired", "reversed", "adjusted_out")
ENTRY_KINDS = CREDIT_KINDS + DEBIT_KINDS
# What an earning was for.
EARN_SOURCES = ("spend", "order", "csat", "review", "referral")
REWARD_KINDS = ("discount_amount", "discount_percent", "free_product", "gift")
CODE_STATES = ("issued", "used", "expired", "cancelled")


class LoyaltyProgram(Timestamps, Base):
    """The owner's program (row id 1): earning rules, tiers, expiry, announcements."""

    __tablename__ = "loyalty_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # [{"source": "spend", "points": 1, "per_rupiah": 10000, "max_per_day": null, ...}]
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # [{"name": "Perunggu", "threshold": 0, "perks": "..."}], ascending thresholds
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    expiry_months: Mapped[int] = mapped_column(default=12)
    code_valid_days: Mapped[int] = mapped_column(default=30)
    announce_earned: Mapped[bool] = mapped_column(default=True)
    # Every lot due by then is expired (the hourly pass looks only at lots due since).
    expired_through: Mapped[datetime | None]


class LoyaltyAccount(Base):
    """One per customer in the program: the row a ledger change locks (the balance is never
    stored here: it is the sum of the entries) and the customer's referral code."""

    __tablename__ = "loyalty_accounts"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    referral_code: Mapped[str] = mapped_column(String(16), unique=True)
    referred_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class LoyaltyEntry(Base):
    """One change of a customer's points; never updated or deleted (append-only)."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        Index("ix_loyalty_entries_contact", "contact_id", "id"),
        Index("ix_loyalty_entries_lots", "expires_at"),
        CheckConstraint("points <> 0", name="points_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # Signed: credits positive, debits negative.
    points: Mapped[int]
    # Earnings: what for (spend, order, csat, review, referral).
    source: Mapped[str | None] = mapped_column(String(16))
    # Unique per cause ("order:12:earn", "csat:7"): a retry or a second worker never doubles.
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # Credits: when what is left of this lot expires.
    expires_at: Mapped[datetime | None]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)


class LoyaltyAllocation(Base):
    """How many points of a credit lot a debit took."""

    __tablename__ = "loyalty_allocations"
    __table_args__ = (CheckConstraint("points > 0", name="allocation_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    debit_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_entries.id", ondelete="CASCADE"), index=True
    )
    lot_id: Mapped[int] = mapped_column(
        ForeignKey("loyalty_entries.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[int]


class LoyaltyReward(Timestamps, Base):
    """Something customers can get for points."""

    __tablename__ = "loyalty_rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    # Rupiah for discount_amount, percent for discount_percent.
    value: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="SET NULL")
    )
    cost_points: Mapped[int]
    # None: unlimited.
    stock: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class LoyaltyRedemption(Base):
    """A reward taken for points: a single-use code until an order uses it or it expires."""

    __tablename__ = "loyalty_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    reward_id: Mapped[int] = mapped_column(ForeignKey("loyalty_rewards.id"))
    code: Mapped[str] = mapped_column(String(24), unique=True)
    points: Mapped[int]
    state: Mapped[str] = mapped_column(String(12), default="issued")
    # Unique per request ("chat:<message id>", an API idempotency key): one code per ask.
    key: Mapped[str | None] = mapped_column(String(80), unique=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("loyalty_entries.id"))
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    used_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    used_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the code took off the order (Rupiah), for the order and the ROI figures.
    discount: Mapped[int] = mapped_column(default=0)


class LoyaltyCodeGuard(Base):
    """Wrong codes tried per actor (``user:3``, ``token:5``, ``contact:9``): guessing is
    refused for a while after too many."""

    __tablename__ = "loyalty_code_guard"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
