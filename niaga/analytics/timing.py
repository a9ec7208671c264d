"""Medians and buckets of times (first responses, times to resolve), shared by the figures
read from the rollups and the ones kept for ended weeks and months."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable

BUCKETS = (("lt_1h", 3600), ("1_4h", 4 * 3600), ("4_8h", 8 * 3600), ("8_24h", 24 * 3600))
BUCKET_NAMES = (*(name for name, _ in BUCKETS), "gt_24h")


def stats(found: Iterable[tuple[float, float]]) -> dict[str, int | None]:
    """Of (clock, business) times: how many (``n``), the medians (``median``,
    ``business_median``; None without any, in whole seconds) and :data:`BUCKETS` of clock
    time."""
    pairs = list(found)
    clock_times = sorted(seconds for seconds, _ in pairs)
    business = [b for _, b in pairs]
    buckets: Counter[str] = Counter({name: 0 for name in BUCKET_NAMES})
    for seconds in clock_times:
        buckets[next((n for n, limit in BUCKETS if seconds < limit), "gt_24h")] += 1
    return {
        "n": len(pairs),
        "median": round(statistics.median(clock_times)) if clock_times else None,
        "business_median": round(statistics.median(business)) if business else None,
        **buckets,
    }


def median(values: list[float]) -> int | None:
    """The median in whole seconds (None without values)."""
    return round(statistics.median(values)) if values else None
