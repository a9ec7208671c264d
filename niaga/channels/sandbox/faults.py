"""Fault injection: the dice the sandbox rolls on every request and webhook.

Every rate is a probability in [0, 1] read from the live :class:`SandboxConfig`, so a
``PATCH /_control/config`` takes effect on the next request.
"""

from __future__ import annotations

import asyncio
import random
from enum import Enum

from niaga.channels.sandbox.config import SandboxConfig
from niaga.channels.sandbox.errors import SandboxError


class Timeout(Enum):
    """How an injected timeout behaves."""

    NONE = "none"
    HOLD = "hold"  # answer late, but the message was accepted ("maybe delivered")
    DROP = "drop"  # answer late with an error, and the message was never processed


class Faults:
    """Decides, per request or webhook, which fault (if any) happens."""

    def __init__(self, config: SandboxConfig, rng: random.Random | None = None) -> None:
        self.config = config
        self.rng = rng or random.Random()

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    async def latency(self) -> None:
        """Sleep the configured added latency (fixed + uniform jitter)."""
        c = self.config
        if c.latency_ms or c.latency_jitter_ms:
            await asyncio.sleep((c.latency_ms + self.rng.uniform(0, c.latency_jitter_ms)) / 1000)

    def sync_error(self) -> SandboxError | None:
        """An injected synchronous error: a 5xx, or one of the per-code rates."""
        c = self.config
        if self._roll(c.http_5xx_rate):
            return SandboxError(131000, "Injected server error.")
        for code, rate in c.error_rates.items():
            if self._roll(rate):
                return SandboxError(int(code), "Injected error.")
        return None

    def timeout(self) -> Timeout:
        """Whether this request times out, and whether the message is processed anyway."""
        c = self.config
        if self._roll(c.timeout_drop_rate):
            return Timeout.DROP
        if self._roll(c.timeout_rate):
            return Timeout.HOLD if c.timeout_processes else Timeout.DROP
        return Timeout.NONE

    def async_failure(self) -> int | None:
        """The error code of an injected ``failed`` status for an accepted message, or None."""
        return (
            self.config.async_failure_code if self._roll(self.config.async_failure_rate) else None
        )

    def drop_webhook(self) -> bool:
        return self._roll(self.config.webhook_drop_rate)

    def duplicate_webhook(self) -> bool:
        return self._roll(self.config.webhook_duplicate_rate)

    def shuffle(self, items: list[object]) -> None:
        self.rng.shuffle(items)
