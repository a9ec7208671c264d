"""Signed webhooks back to Niaga, with Meta's retries and injectable duplicates, drops and
reordering."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import random
import time
from contextlib import suppress
from typing import Any

import aiohttp

from niaga.channels.sandbox.config import SandboxConfig
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
    """Delivers scheduled webhooks; statuses due together share one POST, like Meta's batching."""

    def __init__(self, config: SandboxConfig, state: SandboxState) -> None:
        self.config = config
        self.state = state
        self._heap: list[tuple[float, int, str, dict[str, Any]]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._sem = asyncio.Semaphore(32)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._task = asyncio.create_task(self._run(), name="sandbox-webhooks")

    async def stop(self) -> None:
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

    def schedule_status(self, delay: float, status: dict[str, Any]) -> None:
        """A ``statuses[]`` item to deliver after ``delay`` seconds."""
        self._push(delay, "status", status)

    def schedule(self, delay: float, payload: dict[str, Any]) -> None:
        """A whole webhook body to deliver after ``delay`` seconds."""
        self._push(delay, "payload", payload)

    def _push(self, delay: float, kind: str, item: dict[str, Any]) -> None:
        if self.config.webhook_reorder:
            delay += random.uniform(0, self.config.webhook_reorder_window)
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), kind, item))
        self._wake.set()

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            due_status: list[dict[str, Any]] = []
            while self._heap and self._heap[0][0] <= now:
                _, _, kind, item = heapq.heappop(self._heap)
                if kind == "status":
                    due_status.append(item)
                else:
                    self._spawn(item)
            for start in range(0, len(due_status), 100):
                chunk = due_status[start : start + 100]
                groups = [[st] for st in chunk] if self.config.webhook_reorder else [chunk]
                for group in groups:
                    self._spawn(self._status_payload(group))
            self._wake.clear()
            timeout = (self._heap[0][0] - time.monotonic()) if self._heap else 1.0
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
        if random.random() < self.config.webhook_drop_rate:
            self.state.stats["webhooks_dropped"] += 1
            return
        copies = 2 if random.random() < self.config.webhook_duplicate_rate else 1
        if copies == 2:
            self.state.stats["webhooks_duplicated"] += 1
        for _ in range(copies):
            task = asyncio.create_task(self.deliver(payload))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def deliver(self, payload: dict[str, Any]) -> int | None:
        """POST ``payload`` signed, retrying non-200 answers; returns the last HTTP status."""
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
                    assert self._session is not None
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
            await asyncio.sleep(self.config.webhook_retry_base * 2 ** (attempt - 1))
        return status
