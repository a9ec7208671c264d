import asyncio
import uuid

import pytest

from niaga.outbox.ratelimit import MemoryTokenBucket, RedisTokenBucket


def test_memory_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    bucket = MemoryTokenBucket(rate=100, burst=10)
    waits = [bucket.reserve("pn", now=0.0) for _ in range(15)]
    assert waits[:10] == [0.0] * 10
    assert waits[10:] == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.05])


def test_memory_bucket_refills_with_time_and_keys_are_independent() -> None:
    bucket = MemoryTokenBucket(rate=10, burst=1)
    assert bucket.reserve("a", now=0.0) == 0.0
    assert bucket.reserve("a", now=0.0) == pytest.approx(0.1)
    assert bucket.reserve("b", now=0.0) == 0.0
    assert bucket.reserve("a", now=1.0) == 0.0  # refilled


def test_default_burst_is_a_tenth_of_a_second() -> None:
    assert MemoryTokenBucket(rate=1000).capacity == 100
    assert MemoryTokenBucket(rate=5).capacity == 1


@pytest.mark.redis
async def test_redis_bucket_is_shared_between_workers(redis_url: str) -> None:
    key = f"test-{uuid.uuid4().hex}"
    # One token a second: refill while the test runs (even on a loaded machine) stays far
    # below one token, so the expectations do not depend on timing.
    a = RedisTokenBucket(redis_url, rate=1, burst=10)
    b = RedisTokenBucket(redis_url, rate=1, burst=10)
    try:
        first = [await a.reserve(key) for _ in range(10)]
        assert first == [0.0] * 10
        # The second "worker" finds the bucket empty: it must wait about 1/rate per token.
        waits = [await b.reserve(key) for _ in range(3)]
        assert 0.5 < waits[0] <= 1.0
        assert waits[0] < waits[1] < waits[2] <= 3.0
        assert waits[1] - waits[0] == pytest.approx(1.0, abs=0.01)
        other = await b.reserve(key + "-other")
        assert other == 0.0
    finally:
        await a.close()
        await b.close()


@pytest.mark.redis
async def test_redis_acquire_waits_for_the_reservation(redis_url: str) -> None:
    key = f"test-{uuid.uuid4().hex}"
    bucket = RedisTokenBucket(redis_url, rate=50, burst=1)
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(6):
            await bucket.acquire(key)
        assert loop.time() - start >= 0.09  # 5 tokens beyond the burst at 50/s ≈ 0.1 s
    finally:
        await bucket.close()
