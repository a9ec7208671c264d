"""Background work of a Niaga process: every registered loop and job its roles allow.

``niaga serve`` runs it in a child process by default (:mod:`niaga.worker_process`);
``niaga worker`` runs it alone. What runs is listed in :mod:`niaga.background`.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

import niaga.models  # noqa: F401  (every table, so foreign keys resolve in a lone worker)
from niaga.channels.whatsapp import intake_db
from niaga.channels.whatsapp.channel import make_channel
from niaga.core.config import Settings
from niaga.core.db import make_sessionmaker
from niaga.core.jobs import pg_signals
from niaga.core.jobs.registry import DISPATCH, PROCESSING, JobContext
from niaga.core.jobs.runner import JobRunner
from niaga.security import audit, crypto, secrets_at_rest


class Worker:
    """The process's job runner: processing (webhooks, automation, orders) and dispatch."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        process_webhooks: bool = True,
        dispatch: bool = True,
    ) -> None:
        from niaga.background import build_registry

        audit.use_secret(settings.secret_key)
        crypto.configure(settings.encryption_keys, settings.data_dir)
        settings = secrets_at_rest.apply(settings, factory.kw["bind"])
        self.settings = settings
        self.factory = factory
        roles = [r for r, on in ((PROCESSING, process_webhooks), (DISPATCH, dispatch)) if on]
        self.intake = (
            intake_db.intake_factory(settings, factory.kw["bind"]) if process_webhooks else None
        )
        ctx = JobContext(
            settings=settings,
            factory=factory,
            intake_factory=self.intake,
            read_factory=make_sessionmaker(factory.kw["bind"], read_only=True),
            worker_id=f"{socket.gethostname()}:{os.getpid()}:{id(self):x}",
            channel_factory=(lambda: make_channel(settings)) if dispatch else None,
        )
        self.jobs = JobRunner(build_registry(settings).for_roles(roles), ctx)

    def loop(self, name: str) -> Any:
        """A running loop by name (``inbox.processing``, ``automation.queue``, …), or None."""
        return self.jobs.loops.get(name)

    @property
    def processor(self) -> Any:
        """The webhook processor, when this process processes."""
        return self.loop("inbox.processing")

    @property
    def automation_queue(self) -> Any:
        """The automation queue, when this process processes."""
        return self.loop("automation.queue")

    def start(self) -> None:
        """Start every loop and the job schedule on the running event loop."""
        pg_signals.acquire(self.settings.database_url)
        self.jobs.start()

    async def stop(self) -> None:
        """Stop the loops, let in-flight sends and jobs finish, close connections."""
        try:
            await self.jobs.stop()
        finally:
            pg_signals.release(self.settings.database_url)
            if self.intake is not None:
                self.intake.kw["bind"].dispose()
