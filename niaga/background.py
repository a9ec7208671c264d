"""Every domain's background work in one registry (the jobs layer's composition root).

A new domain adds its ``register`` call here; :class:`niaga.runtime.Worker` runs what the
process's roles allow.
"""

from __future__ import annotations

from niaga.analytics import jobs as analytics_jobs
from niaga.automation import jobs as automation_jobs
from niaga.backups import jobs as backup_jobs
from niaga.campaigns import jobs as campaign_jobs
from niaga.catalog import jobs as catalog_jobs
from niaga.community import actions as community_actions
from niaga.community import jobs as community_jobs
from niaga.core.config import Settings
from niaga.core.jobs.registry import PeriodicSpec, Registry
from niaga.core.jobs.runner import keep_finished_jobs
from niaga.inbox import jobs as inbox_jobs
from niaga.inbox import statuses as inbox_statuses
from niaga.incidents import jobs as incident_jobs
from niaga.loyalty import jobs as loyalty_jobs
from niaga.orders import jobs as order_jobs
from niaga.outbox import jobs as outbox_jobs
from niaga.outgoing_webhooks import jobs as outgoing_webhook_jobs
from niaga.privacy import jobs as privacy_jobs
from niaga.templates import jobs as template_jobs


def build_registry(settings: Settings) -> Registry:
    """The loops, periodic jobs and job kinds of every domain."""
    registry = Registry()
    community_actions.install()  # automation's "add to group" joins a real group
    inbox_jobs.register(registry)
    automation_jobs.register(
        registry,
        reactions=[
            campaign_jobs.reaction(settings),
            order_jobs.reaction(settings),
            loyalty_jobs.reaction(settings),
            community_jobs.reaction(settings),
        ],
    )
    order_jobs.register(registry)
    loyalty_jobs.register(registry)
    community_jobs.register(registry)
    campaign_jobs.register(registry)
    outbox_jobs.register(registry, states=inbox_statuses.MESSAGE_STATES)
    template_jobs.register(registry)
    catalog_jobs.register(registry)
    outgoing_webhook_jobs.register(registry)
    analytics_jobs.register(registry)
    incident_jobs.register(registry)
    privacy_jobs.register(registry)
    backup_jobs.register(registry)
    registry.add_periodic(PeriodicSpec("jobs.purge", 86400.0, keep_finished_jobs))
    return registry
