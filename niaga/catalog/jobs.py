"""The catalog's background work: Meta's commerce catalog kept equal to the products."""

from __future__ import annotations

from niaga.catalog import meta_sync
from niaga.catalog.service import get_settings
from niaga.core.jobs.registry import DISPATCH, JobContext, PeriodicSpec, Registry

EVERY = 60.0


async def _sync(ctx: JobContext) -> None:
    import asyncio

    def connected() -> bool:
        with ctx.factory() as session:
            return bool(get_settings(session).meta_catalog_id) or ctx.settings.sandbox

    if not await asyncio.to_thread(connected):
        return  # no catalog connected: nothing to keep in sync
    await meta_sync.sync(ctx.factory, ctx.channel(), ctx.settings.public_url, ctx.settings.sandbox)


def register(registry: Registry) -> None:
    """Every minute, one process at a time (with the dispatcher, which has the channel)."""
    registry.add_periodic(
        PeriodicSpec("catalog.meta_sync", EVERY, _sync, role=DISPATCH, retry_after=EVERY)
    )
