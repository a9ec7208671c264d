"""The WhatsApp channel's background work: the template list, pulled hourly."""

from __future__ import annotations

from niaga.core.jobs.registry import DISPATCH, JobContext, PeriodicSpec, Registry


async def _sync_templates(ctx: JobContext) -> None:
    from niaga.channels.whatsapp.template_sync import sync_templates

    await sync_templates(ctx.channel(), ctx.factory, ctx.settings.wa_business_account_id)


def register(registry: Registry) -> None:
    """Pull the templates when a database first runs it, then hourly; after a failure (the
    Graph API not up yet) again in 0.5 s, doubling up to the hour."""
    registry.add_periodic(
        PeriodicSpec(
            "whatsapp.templates_sync", 3600.0, _sync_templates, role=DISPATCH, retry_after=0.5
        )
    )
