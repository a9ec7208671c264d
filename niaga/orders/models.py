"""Orders: from a WhatsApp cart or made by an agent, with items, status history and source."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps

STATUSES = ("baru", "dikonfirmasi", "dibayar", "dikirim", "selesai", "dibatalkan")
PAYMENT_STATUSES = ("belum_dibayar", "dibayar", "dikembalikan")


class Order(Timestamps, Base):
    """An order with a human number (``#12345``)."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_status_created", "status", "created_at"),
        # A day's orders and the orders changed lately, for the analytics rollups.
        Index("ix_orders_created", "created_at"),
        Index("ix_orders_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    # The inbound ``order`` message this came from (unique: one order per cart message).
    source_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id"), unique=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="baru")
    payment_status: Mapped[str] = mapped_column(String(16), default="belum_dibayar")
    currency: Mapped[str] = mapped_column(String(3), default="IDR")
    subtotal: Mapped[int] = mapped_column(default=0)
    shipping_fee: Mapped[int] = mapped_column(default=0)
    discount: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    customer_note: Mapped[str | None] = mapped_column(Text)
    shipping_address: Mapped[str | None] = mapped_column(Text)
    courier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(2000))
    meta_catalog_id: Mapped[str | None] = mapped_column(String(64))
    # Where the order came from: "ad", "campaign", "click_to_chat", "conversation", "agent".
    source: Mapped[str] = mapped_column(String(32), default="conversation", index=True)
    attribution: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # The local day the parcel should reach the customer (set when shipped, or by an agent).
    estimated_arrival: Mapped[date | None]

    items: Mapped[list[OrderItem]] = relationship(
        order_by="OrderItem.id", cascade="all, delete-orphan", lazy="selectin"
    )
    changes: Mapped[list[OrderStatusChange]] = relationship(
        order_by="OrderStatusChange.id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def label(self) -> str:
        """The number customers see: ``#12345``."""
        return f"#{self.number}"


class OrderItem(Base):
    """One line of an order; name and price are copied so later edits do not change it."""

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="SET NULL"), index=True
    )
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[int]
    line_total: Mapped[int]
    # Units the stock could not cover when the order came in (needs attention).
    short_quantity: Mapped[int] = mapped_column(default=0)


class OrderStatusChange(Base):
    """Every status change (and the creation), who made it and what the customer was told."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # "free_form", "template", "none" (not asked), "impossible" (window closed, no template).
    notification: Mapped[str] = mapped_column(String(16), default="none")
    notification_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    notification_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OrderStatusReply(Base):
    """An automatic answer to "status pesanan #12345": one per inbound message."""

    __tablename__ = "order_status_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # "sent", "not_found", "window_closed"
    outcome: Mapped[str] = mapped_column(String(16))
    reply_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OrderSettings(Timestamps, Base):
    """The owner's order settings (row id 1): what Niaga does on its own around orders."""

    __tablename__ = "order_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A cart that becomes an order gets "Pesanan #10001 kami terima…" at once.
    confirm_new_orders: Mapped[bool] = mapped_column(default=True)
    # The customer carries a label of their latest order's status ("Pesanan: Dikirim").
    label_by_status: Mapped[bool] = mapped_column(default=False)
    # Days from shipping to arrival: per courier (case-insensitive name), else the default.
    delivery_days: Mapped[int] = mapped_column(default=3)
    courier_days: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
