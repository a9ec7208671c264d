"""The inbox's background work: processing stored webhooks, registered in the jobs layer."""

from __future__ import annotations

from niaga.core.jobs import signals
from niaga.core.jobs.registry import JobContext, LoopSpec, Registry
from niaga.inbox.processing import WebhookProcessor


def _processor(ctx: JobContext) -> WebhookProcessor:
    return WebhookProcessor(ctx.factory, intake=ctx.intake_factory)


def register(registry: Registry) -> None:
    """The webhook processor, woken as soon as the web process stores a batch."""
    registry.add_loop(LoopSpec("inbox.processing", _processor, wake_on=(signals.WEBHOOKS_STORED,)))
