"""The alert watcher: reads the audit log and tells the owner, every few seconds."""

from __future__ import annotations

from niaga.core.db import transaction
from niaga.core.jobs.registry import JobContext, PeriodicSpec, Registry
from niaga.incidents import alerts, notify

EVERY = 15.0


def _watch(ctx: JobContext) -> None:
    with transaction(ctx.factory) as session:
        alerts.do_scan(session, ctx.settings.timezone)
    with transaction(ctx.factory) as session:
        alerts.do_raise_meta_events(session)
    notify.deliver(ctx.factory, ctx.settings)


def register(registry: Registry) -> None:
    """One process at a time reads the new audit entries and sends the alerts."""
    registry.add_periodic(PeriodicSpec("security.alerts", EVERY, _watch, retry_after=EVERY))
