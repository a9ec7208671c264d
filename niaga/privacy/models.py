"""Privacy requests answered, retention periods and the privacy notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, Timestamps


class PrivacyRequest(Base):
    """A customer's request and how it was answered (kept without their personal data)."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))  # export | erasure
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None]
    by_user_id: Mapped[int | None]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RetentionPolicy(Timestamps, Base):
    """How long each kind of data is kept (days; None: as long as the business exists)."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_webhook_days: Mapped[int | None] = mapped_column(default=30)
    sent_payload_days: Mapped[int | None] = mapped_column(default=30)
    message_content_days: Mapped[int | None]
    inactive_customer_days: Mapped[int | None]
    message_cursor: Mapped[int] = mapped_column(default=0)  # message contents purged up to
    last_purge_at: Mapped[datetime | None]
    last_purge: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PrivacyNotice(Timestamps, Base):
    """The privacy notice customers read at ``/privasi`` (one row, written by the owner)."""

    __tablename__ = "privacy_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    updated_by_user_id: Mapped[int | None]
