"""Tables of the jobs layer: durable delayed jobs and the schedule of periodic ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core.db import Base, JSONType

# pending → running → done | pending (retry) | failed (dead after its attempts) | cancelled
JOB_STATES = ("pending", "running", "done", "failed", "cancelled")


class ScheduledJob(Base):
    """One durable job to run at ``run_at``: a campaign on Friday 19:00, a sync to retry.

    ``key`` (unique while the job is pending or running, cleared when it ends) makes
    scheduling idempotent: scheduling a key again moves the waiting job instead of adding one,
    and a job running when it is scheduled again runs once more afterwards (``again``).
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    again: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class PeriodicRun(Base):
    """When a periodic job runs next, across every process: the first to move ``next_run_at``
    forward runs it; ``running_until`` keeps others off while it runs (or until it crashed)."""

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime]
    running_by: Mapped[str | None] = mapped_column(String(200))
    running_until: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(default=0)
