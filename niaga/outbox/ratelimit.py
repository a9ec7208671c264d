"""Per-phone-number send pacing: a token bucket in memory, or in Redis across workers.

Both use reservations: ``acquire`` always takes the tokens and sleeps until they would have
been available, so concurrent senders are served in order without polling.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import redis.asyncio as aioredis

from niaga.core import metrics


class RateLimiter(Protocol):
    """Paces sends per key (a phone number id)."""

    async def acquire(self, key: str, n: int = 1) -> None:
        """Wait until ``n`` sends for ``key`` are allowed."""
        ...

    async def close(self) -> None:
        """Release resources."""
        ...


class MemoryTokenBucket:
    """Token bucket for one process: ``rate`` per second, bursts of ``burst`` tokens."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.capacity = float(burst if burst is not None else max(1.0, rate / 10))
        self._tokens: dict[str, float] = {}
        self._stamp: dict[str, float] = {}

    def reserve(self, key: str, n: int = 1, now: float | None = None) -> float:
        """Take ``n`` tokens; returns seconds to wait before using them."""
        now = time.monotonic() if now is None else now
        tokens = self._tokens.get(key, self.capacity)
        last = self._stamp.get(key, now)
        tokens = min(self.capacity, tokens + (now - last) * self.rate) - n
        self._tokens[key] = tokens
        self._stamp[key] = now
        return 0.0 if tokens >= 0 else -tokens / self.rate

    async def acquire(self, key: str, n: int = 1) -> None:
        wait = self.reserve(key, n)
        if wait > 0:
            metrics.count_rate_limit_wait(wait)
            await asyncio.sleep(wait)

    async def close(self) -> None:
        return None


# KEYS[1] bucket hash; ARGV: rate/s, capacity, tokens wanted. Returns the wait in microseconds.
_RESERVE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(b[1]) or cap
local stamp = tonumber(b[2]) or now
tokens = math.min(cap, tokens + (now - stamp) * rate / 1000000) - want
redis.call('HSET', KEYS[1], 'tokens', tokens, 'stamp', now)
redis.call('PEXPIRE', KEYS[1], 60000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens * 1000000 / rate)
"""


class RedisTokenBucket:
    """The same bucket kept in Redis, so every worker on every machine shares one rate."""

    def __init__(
        self, url: str, rate: float, burst: float | None = None, prefix: str = "niaga:rate:"
    ) -> None:
        self.rate = float(rate)
        self.capacity = float(burst if burst is not None else max(1.0, rate / 10))
        self._redis = aioredis.from_url(url)
        self._script = self._redis.register_script(_RESERVE_LUA)
        self._prefix = prefix

    async def reserve(self, key: str, n: int = 1) -> float:
        """Take ``n`` tokens; returns seconds to wait before using them."""
        micros = await self._script(keys=[self._prefix + key], args=[self.rate, self.capacity, n])
        return int(micros) / 1_000_000

    async def acquire(self, key: str, n: int = 1) -> None:
        wait = await self.reserve(key, n)
        if wait > 0:
            metrics.count_rate_limit_wait(wait)
            await asyncio.sleep(wait)

    async def close(self) -> None:
        await self._redis.aclose()


def make_limiter(rate: float, redis_url: str = "") -> RateLimiter:
    """Redis-backed when ``redis_url`` is set, else in-process."""
    return RedisTokenBucket(redis_url, rate) if redis_url else MemoryTokenBucket(rate)
