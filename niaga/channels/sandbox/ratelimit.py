"""Meta's limits as the sandbox enforces them: refuse (not wait) when a bucket is empty."""

from __future__ import annotations

import time

MAX_PAIRS = 200_000  # recipients remembered for the pair rate (bounded memory)


class Bucket:
    """A token bucket that says no when empty."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Limits:
    """Throughput per phone number and the pair rate per recipient."""

    def __init__(self) -> None:
        self._numbers: dict[str, Bucket] = {}
        self._pairs: dict[str, Bucket] = {}

    def throughput(self, phone_number_id: str, mps: float) -> bool:
        b = self._numbers.get(phone_number_id)
        if b is None or b.rate != mps:
            b = self._numbers[phone_number_id] = Bucket(mps, max(1.0, mps))
        return b.take()

    def pair(self, recipient: str, burst: int, seconds: float) -> bool:
        b = self._pairs.get(recipient)
        if b is None:
            if len(self._pairs) >= MAX_PAIRS:
                self._forget_full()
            b = self._pairs[recipient] = Bucket(1.0 / seconds, float(burst))
        return b.take()

    def _forget_full(self) -> None:
        """Drop recipients whose bucket has refilled (a new bucket is the same), or the oldest."""
        now = time.monotonic()
        full = [
            k for k, b in self._pairs.items() if b.tokens + (now - b.stamp) * b.rate >= b.capacity
        ]
        for k in full or list(self._pairs)[: MAX_PAIRS // 10]:
            del self._pairs[k]

    def reset(self) -> None:
        self._numbers.clear()
        self._pairs.clear()
