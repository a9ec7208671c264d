"""Automation's background work, registered in the jobs layer.

- ``automation.queue``: the loop that runs the rules on new inbound messages (woken by each
  stored batch);
- ``automation.timers``: "no reply after X" rules, every 5 s, one process at a time;
- ``automation.catch_up``: messages whose automation a crash lost, every minute (every
  reaction and the rules, on conversations it owns, like the queue);
- ``automation.profile_sync``: a durable job, scheduled when the business profile changes,
  that pushes it to WhatsApp (retried with backoff while the Graph API refuses).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from niaga.automation import profile, service
from niaga.automation.queue import AutomationQueue, Reaction, catch_up
from niaga.core import events
from niaga.core.db import transaction
from niaga.core.jobs.registry import (
    DISPATCH,
    JobContext,
    LoopSpec,
    PeriodicSpec,
    Registry,
    TaskSpec,
)


def _timers(ctx: JobContext) -> int:
    with transaction(ctx.factory) as session:
        return service.due_timers(session)


async def _sync_profile(ctx: JobContext, _payload: dict[str, Any]) -> None:
    await profile.sync_profile(
        ctx.factory, ctx.channel(), ctx.settings.wa_phone_number_id, Path(ctx.settings.data_dir)
    )


def register(registry: Registry, reactions: Sequence[Reaction] = ()) -> None:
    """Automation's loop and jobs; ``reactions`` run on each new message before the rules."""

    def queue(ctx: JobContext) -> AutomationQueue:
        from niaga.automation.matching import warm_up

        # The stemmer's dictionary loads in the background, not on the first message.
        threading.Thread(target=warm_up, name="automation-warm-up", daemon=True).start()
        return AutomationQueue(ctx.factory, list(reactions))

    registry.add_loop(
        LoopSpec("automation.queue", queue, wake_on_events=(events.MESSAGE_RECEIVED,))
    )
    registry.add_periodic(PeriodicSpec("automation.timers", 5.0, _timers, retry_after=5.0))
    registry.add_periodic(
        PeriodicSpec(
            "automation.catch_up", 60.0, lambda ctx: catch_up(ctx.factory, list(reactions))
        )
    )
    registry.add_task(
        TaskSpec(profile.SYNC_JOB, _sync_profile, role=DISPATCH, retry_after=15.0, lease=120.0)
    )
