"""Security alerts and where the alert watcher has read the audit log up to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base


class SecurityAlert(Base):
    """Something in the audit log the owner should look at (a new device, many failed
    sign-ins, a mass export, an admin action at night)."""

    __tablename__ = "security_alerts"
    __table_args__ = (UniqueConstraint("kind", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    audit_seq: Mapped[int]  # the entry that raised it
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # channel → "sent", "skipped: …" or "failed: …"; None until the notifier took it.
    notified: Mapped[dict[str, Any] | None]
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_user_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AlertCursor(Base):
    """The last audit entry (by ``seq``, which is commit order) the watcher has read."""

    __tablename__ = "security_alert_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class Incident(Base):
    """A suspected breach being handled: its window, suspects, what it touched, the guide's
    five steps with when each was done, and the drafted notices."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(default=clock.now)
    opened_by_user_id: Mapped[int | None]
    window_from: Mapped[datetime]
    window_to: Mapped[datetime | None]  # None: until now
    suspects: Mapped[dict[str, Any]] = mapped_column(default=dict)  # user_ids, ips, tokens
    steps: Mapped[dict[str, Any]] = mapped_column(default=dict)  # key → {at, by, note}
    customer_notice: Mapped[str | None] = mapped_column(Text)
    authority_report: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
