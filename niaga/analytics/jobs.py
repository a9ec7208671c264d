"""Analytics' background work: the daily rollups brought up to date every few seconds, and
the weekly and monthly reports sent when they are due (by email and by WhatsApp)."""

from __future__ import annotations

from datetime import date
from typing import Any

from niaga.analytics import delivery, ga4, goals, rollups, whatsapp_report
from niaga.core.db import transaction
from niaga.core.jobs.registry import DISPATCH, JobContext, PeriodicSpec, Registry, TaskSpec

EVERY = 5.0


def _refresh(ctx: JobContext) -> None:
    rollups.refresh(ctx.factory, ctx.settings.timezone)


def _reports(ctx: JobContext) -> None:
    delivery.send_due(ctx.factory, ctx.settings)


def _ga4(ctx: JobContext) -> None:
    ga4.run(ctx.factory, ctx.settings)


def _count_goal(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A slice of a new goal's past days; the rest in the task's next run."""
    goal_id = int(payload["goal_id"])
    start = date.fromisoformat(payload["from"]) if payload.get("from") else None
    rest = rollups.count_goal(ctx.factory, goal_id, ctx.settings.timezone, start)
    if rest is not None:
        with transaction(ctx.factory) as s:
            goals.schedule_count(s, goal_id, rest)


async def _reports_by_whatsapp(ctx: JobContext) -> None:
    await whatsapp_report.send_due(ctx.factory, ctx.settings, ctx.channel())


def register(registry: Registry) -> None:
    """Refresh the rollups every :data:`EVERY` seconds, one process at a time (the first run
    on a database cuts every day since its first record)."""
    registry.add_periodic(PeriodicSpec("analytics.rollups", EVERY, _refresh, retry_after=EVERY))
    # Reports are looked for every 5 minutes; one process at a time sends them.
    registry.add_periodic(PeriodicSpec("analytics.reports", 300.0, _reports, retry_after=60.0))
    # By WhatsApp from a process that holds the channel (it uploads the PDF).
    registry.add_periodic(
        PeriodicSpec(
            "analytics.reports_whatsapp",
            300.0,
            _reports_by_whatsapp,
            role=DISPATCH,
            retry_after=60.0,
        )
    )
    # Conversions to GA4 every 10 s when configured (kept queued while GA4 is unreachable).
    registry.add_periodic(PeriodicSpec("analytics.ga4", 10.0, _ga4, retry_after=30.0))
    # A new conversion goal's past days (idempotent: each day's count is replaced).
    registry.add_task(TaskSpec(goals.COUNT_TASK, _count_goal, retry_after=30.0))
