"""The templates' background work: Meta's list, pulled hourly."""

from __future__ import annotations

from niaga.core.jobs.registry import DISPATCH, JobContext, PeriodicSpec, Registry
from niaga.templates import sync


async def _sync(ctx: JobContext) -> None:
    await sync.sync(ctx.channel(), ctx.factory, ctx.settings.wa_business_account_id)


def register(registry: Registry) -> None:
    """Pull the templates when a database first runs it, then hourly; after a failure (the
    Graph API not up yet) again in 0.5 s, doubling up to the hour."""
    registry.add_periodic(
        PeriodicSpec("templates.sync", 3600.0, _sync, role=DISPATCH, retry_after=0.5)
    )
