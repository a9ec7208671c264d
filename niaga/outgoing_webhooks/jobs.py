"""Outgoing webhooks' background work: the delivery job."""

from __future__ import annotations

from niaga.core.jobs.registry import DISPATCH, Registry, TaskSpec
from niaga.outgoing_webhooks.service import DELIVER_JOB, RETRY_AFTER, deliver


def register(registry: Registry) -> None:
    """Deliveries talk to the outside world, so they run where dispatch runs."""
    registry.add_task(
        TaskSpec(DELIVER_JOB, deliver, role=DISPATCH, retry_after=RETRY_AFTER, lease=60.0)
    )
