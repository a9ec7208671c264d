"""Signed webhooks back to Niaga, with Meta's retries and injectable duplicates, drops and
reordering."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import time
from contextlib import suppress
from typing import Any

import aiohttp

from niaga.channels.sandbox.config import SandboxConfig
from niaga.channels.sandbox.faults import Faults
from niaga.channels.sandbox.state import SandboxState
from niaga.channels.whatsapp.signature import sign

log = logging.getLogger(__name__)


def envelope(
    config: SandboxConfig, value: dict[str, Any], field: str = "messages"
) -> dict[str, Any]:
    """Meta's envelope around one change."""
    entry: dict[str, Any] = {"id": config.waba_id, "changes": [{"value": value, "field": field}]}
    if field != "messages":
        entry["time"] = int(time.time())
    return {"object": "whatsapp_business_account", "entry": [entry]}


def messages_value(config: SandboxConfig, **parts: Any) -> dict[str, Any]:
    """A ``messages`` change value with metadata."""
    return {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": config.display_phone_number,
            "phone_number_id": config.phone_number_id,
        },
        **parts,
    }


class WebhookSender:
    """Delivers scheduled webhooks; statuses due together share one POST, like Meta's batching.

    Faults: a dropped webhook is never sent; a duplicated one is sent twice; with reordering
    on, due webhooks are held for ``webhook_reorder_window`` seconds, shuffled and sent one
    per POST, so a ``read`` can overtake its ``sent``.
    """

    def __init__(self, config: SandboxConfig, state: SandboxState, faults: Faults) -> None:
        self.config = config
        self.state = state
        self.faults = faults
        self._heap: list[tuple[float, int, str, dict[str, Any]]] = []
        self._held: list[tuple[str, dict[str, Any]]] = []
        self._held_since = 0.0
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._sem = asyncio.Semaphore(32)

    async def start(self) -> None:
        """Open the shared HTTP session and start the delivery loop."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._task = asyncio.create_task(self._run(), name="sandbox-webhooks")

    async def stop(self) -> None:
        """Stop delivering (pending webhooks are dropped) and close the session."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for t in list(self._inflight):
            t.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def clear(self) -> None:
        self._heap.clear()
        self._held.clear()

    @property
    def pending(self) -> int:
        return len(self._heap) + len(self._held)

    def schedule_status(self, delay: float, status: dict[str, Any]) -> None:
        """A ``statuses[]`` item to deliver after ``delay`` seconds."""
        self._push(delay, "status", status)

    def schedule(self, delay: float, payload: dict[str, Any]) -> None:
        """A whole webhook body to deliver after ``delay`` seconds."""
        self._push(delay, "payload", payload)

    def _push(self, delay: float, kind: str, item: dict[str, Any]) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), kind, item))
        self._wake.set()

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            due: list[tuple[str, dict[str, Any]]] = []
            while self._heap and self._heap[0][0] <= now:
                _, _, kind, item = heapq.heappop(self._heap)
                due.append((kind, item))
            if self.config.webhook_reorder:
                if due and not self._held:
                    self._held_since = now
                self._held += due
                if self._held and now - self._held_since >= self.config.webhook_reorder_window:
                    held, self._held = self._held, []
                    self.faults.shuffle(held)  # type: ignore[arg-type]
                    for kind, item in held:
                        self._spawn(item if kind == "payload" else self._status_payload([item]))
            else:
                due, self._held = self._held + due, []
                statuses = [item for kind, item in due if kind == "status"]
                for kind, item in due:
                    if kind == "payload":
                        self._spawn(item)
                for start in range(0, len(statuses), 100):
                    self._spawn(self._status_payload(statuses[start : start + 100]))
            self._wake.clear()
            timeout = (self._heap[0][0] - time.monotonic()) if self._heap else 1.0
            if self._held:
                flush_at = self._held_since + self.config.webhook_reorder_window
                timeout = min(timeout, flush_at - time.monotonic())
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, min(timeout, 1.0)))

    def _status_payload(self, statuses: list[dict[str, Any]]) -> dict[str, Any]:
        """Statuses with one ``contacts[]`` item each (2026 payloads carry the user's BSUID)."""
        contacts = [
            {"wa_id": st["recipient_id"], "user_id": st.get("recipient_user_id")} for st in statuses
        ]
        value = messages_value(self.config, contacts=contacts, statuses=statuses)
        return envelope(self.config, value)

    def _spawn(self, payload: dict[str, Any]) -> None:
        if self.faults.drop_webhook():
            self.state.stats["webhooks_dropped"] += 1
            return
        copies = 2 if self.faults.duplicate_webhook() else 1
        if copies == 2:
            self.state.stats["webhooks_duplicated"] += 1
        for _ in range(copies):
            self._background(self.deliver(payload))

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def deliver_now(self, payload: dict[str, Any]) -> int | None:
        """Deliver at once and wait for the answer (customer messages), faults included.

        Returns the receiver's last HTTP status, or None if the webhook was dropped.
        """
        if self.faults.drop_webhook():
            self.state.stats["webhooks_dropped"] += 1
            return None
        status = await self.deliver(payload)
        if self.faults.duplicate_webhook():
            self.state.stats["webhooks_duplicated"] += 1
            self._background(self.deliver(payload))
        return status

    async def deliver(self, payload: dict[str, Any]) -> int | None:
        """POST ``payload`` signed, retrying non-200 answers; returns the last HTTP status."""
        if not self.config.webhooks_subscribed:  # Meta sends nothing to an unsubscribed app
            self.state.stats["webhooks_unsubscribed"] += 1
            return None
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            "x-hub-signature-256": sign(body, self.config.app_secret),
        }
        status: int | None = None
        for attempt in range(1, self.config.webhook_max_attempts + 1):
            error = None
            async with self._sem:
                try:
                    assert self._session is not None, "WebhookSender.start() was not called"
                    async with self._session.post(
                        self.config.webhook_url, data=body, headers=headers
                    ) as resp:
                        status = resp.status
                        await resp.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, error = None, f"{type(exc).__name__}: {exc}"
            self.state.log_webhook(
                {
                    "at": time.time(),
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                    "payload": payload,
                }
            )
            if status == 200:
                self.state.stats["webhooks_delivered"] += 1
                return status
            self.state.stats["webhook_failures"] += 1
            if attempt < self.config.webhook_max_attempts:
                # Meta retries "with decreasing frequency": exponential backoff, bounded.
                await asyncio.sleep(min(self.config.webhook_retry_base * 2 ** (attempt - 1), 300))
        return status
