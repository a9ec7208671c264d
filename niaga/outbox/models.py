"""The outbox: every outgoing Graph API call is first a row here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core.db import Base, Timestamps

# pending → sending → sent | failed; pending ← (retry) ; sending → in_doubt after a crash.
OUTBOX_STATES = ("pending", "sending", "in_doubt", "sent", "failed")


class OutboxMessage(Timestamps, Base):
    """One outgoing request with an idempotency key; sent at most once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="message")  # message | mark_read
    phone_number_id: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    # What to send, in Niaga's terms: an OutgoingMessage dump (kind "message", rendered by the
    # channel when it sends, quoting ``reply_to_wamid``) or {"wamid": …} (kind "mark_read").
    message: Mapped[dict[str, Any] | None]
    reply_to_wamid: Mapped[str | None] = mapped_column(String(256))
    # A Graph body rendered at enqueue time: only rows queued before migration 0009.
    body: Mapped[dict[str, Any] | None]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    wamid: Mapped[str | None] = mapped_column(String(256), index=True)
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(String(512))
    error_detail: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
