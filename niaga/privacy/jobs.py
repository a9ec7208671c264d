"""The retention purge, every hour on one process."""

from __future__ import annotations

from pathlib import Path

from niaga.core.jobs.registry import JobContext, PeriodicSpec, Registry
from niaga.privacy import retention


def _purge(ctx: JobContext) -> None:
    retention.purge(ctx.factory, data_dir=Path(ctx.settings.data_dir), intake=ctx.intake_factory)


def register(registry: Registry) -> None:
    """Hold every kind of data to its retention period (a slice each hour)."""
    registry.add_periodic(PeriodicSpec("privacy.retention", 3600.0, _purge, retry_after=300.0))
