"""Analytics' background work: the daily rollups brought up to date every few seconds."""

from __future__ import annotations

from niaga.analytics import rollups
from niaga.core.jobs.registry import JobContext, PeriodicSpec, Registry

EVERY = 5.0


def _refresh(ctx: JobContext) -> None:
    rollups.refresh(ctx.factory, ctx.settings.timezone)


def register(registry: Registry) -> None:
    """Refresh the rollups every :data:`EVERY` seconds, one process at a time (the first run
    on a database cuts every day since its first record)."""
    registry.add_periodic(PeriodicSpec("analytics.rollups", EVERY, _refresh, retry_after=EVERY))
