"""Background work of a Niaga process: webhook processing and outbox dispatch.

``niaga serve`` runs it inside the web process by default; ``niaga worker`` runs it alone.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from sqlalchemy.orm import Session, sessionmaker

import niaga.models  # noqa: F401  (every table, so foreign keys resolve in a lone worker)
from niaga.automation.queue import AutomationQueue, Reaction
from niaga.automation.scheduler import AutomationScheduler
from niaga.channels.whatsapp.channel import WhatsAppChannel
from niaga.channels.whatsapp.graph import GraphClient
from niaga.core import events
from niaga.core.config import Settings
from niaga.inbox.processing import WebhookProcessor
from niaga.outbox.dispatcher import Dispatcher
from niaga.outbox.ratelimit import make_limiter

log = logging.getLogger(__name__)


def make_channel(settings: Settings) -> WhatsAppChannel:
    """The WhatsApp channel for the configured Graph API (Meta or the sandbox)."""
    client = GraphClient(
        base_url=settings.wa_graph_url,
        api_version=settings.wa_api_version,
        access_token=settings.wa_access_token,
        timeout=settings.wa_request_timeout,
    )
    return WhatsAppChannel(client)


def message_reactions(settings: Settings) -> list[Reaction]:
    """What other domains do with a new inbound message, before the automation rules run."""
    from niaga.orders import jobs as order_jobs

    def orders(session: Session, message_id: int) -> None:
        # Carts become orders; "status pesanan #12345" gets answered (both idempotent).
        order_jobs.handle_message(session, message_id, settings)

    return [orders]


class Worker:
    """Runs the webhook processor and the dispatcher until stopped."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        process_webhooks: bool = True,
        dispatch: bool = True,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.processor = WebhookProcessor(factory) if process_webhooks else None
        self.channel = make_channel(settings) if dispatch else None
        self.limiter = (
            make_limiter(settings.wa_messages_per_second, settings.redis_url) if dispatch else None
        )
        self.dispatcher = (
            Dispatcher(factory, self.channel, self.limiter, settings)
            if self.channel is not None and self.limiter is not None
            else None
        )
        self.automation = (
            AutomationScheduler(
                factory, lambda: make_channel(settings), settings.wa_phone_number_id
            )
            if process_webhooks
            else None
        )
        self.automation_queue = (
            AutomationQueue(factory, message_reactions(settings)) if process_webhooks else None
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the loops as tasks on the running event loop."""
        self._stop.clear()
        if self.processor is not None:
            self._tasks.append(asyncio.create_task(self.processor.run(self._stop)))
        if self.dispatcher is not None:
            self._tasks.append(asyncio.create_task(self.dispatcher.run(self._stop)))
        if self.automation is not None:
            self._tasks.append(asyncio.create_task(self.automation.run(self._stop)))
        if self.automation_queue is not None:
            events.subscribe(events.MESSAGE_RECEIVED, self._wake_automation)
            self._tasks.append(asyncio.create_task(self.automation_queue.run(self._stop)))
        if self.channel is not None:
            self._tasks.append(asyncio.create_task(self._keep_templates_synced()))
        if self.processor is not None:  # carts and status questions a crash left undone
            from niaga.orders.jobs import catch_up_loop

            self._tasks.append(
                asyncio.create_task(catch_up_loop(self.factory, self.settings, self._stop))
            )

    def _wake_automation(self, _event: events.Event) -> None:
        if self.automation_queue is not None:
            self.automation_queue.wake()

    async def _keep_templates_synced(self) -> None:
        """Pull the template list now (retrying while the API is not up yet), then hourly."""
        from niaga.channels.whatsapp.template_sync import sync_templates

        delay = 0.5
        while not self._stop.is_set():
            try:
                await sync_templates(
                    self.channel, self.factory, self.settings.wa_business_account_id
                )
                delay = 3600.0
            except Exception as exc:
                log.info("template sync failed (%s); retrying in %.0f s", exc, delay)
                delay = min(delay * 2, 300.0)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def stop(self) -> None:
        """Stop the loops, let in-flight sends finish, close connections."""
        self._stop.set()
        if self.processor is not None:
            self.processor.wake()
        if self.automation is not None:
            self.automation.wake()
        if self.automation_queue is not None:
            events.unsubscribe(events.MESSAGE_RECEIVED, self._wake_automation)
            self.automation_queue.wake()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=30)
        self._tasks.clear()
        if self.channel is not None:
            await self.channel.close()
        if self.limiter is not None:
            await self.limiter.close()

    async def run_forever(self) -> None:
        """Start, and run until cancelled (the standalone worker)."""
        self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()
