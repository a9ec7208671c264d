"""Prometheus metrics counted where things happen (requests, webhooks, sends, rate-limit waits).

Niaga runs as several processes (the web server, its worker child, ``niaga worker``, more web
workers): they share their figures through prometheus_client's multiprocess files in
``data_dir/metrics`` (:func:`prepare_multiprocess`, called by the commands before any metric
exists), and ``/metrics`` adds them up. Without it (tests, one process) the figures are the
process's own. Metrics are made on first use, so importing this module is free.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PID = re.compile(r"_(\d+)\.db$")


def prepare_multiprocess(data_dir: Path) -> Path:
    """Share metrics through ``data_dir/metrics`` (files of processes gone are removed)."""
    folder = Path(data_dir) / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    for file in folder.glob("*.db"):
        found = _PID.search(file.name)
        if found and not _alive(int(found.group(1))):
            file.unlink(missing_ok=True)
    os.environ.setdefault(MULTIPROC_ENV, str(folder))
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_exiting() -> None:
    """Drop this process's live gauges from the shared files (counters stay summed)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


@lru_cache(maxsize=1)
def _m() -> SimpleNamespace:
    from prometheus_client import Counter, Histogram

    return SimpleNamespace(
        requests=Counter(
            "niaga_http_requests_total",
            "HTTP requests answered, by route template and status class",
            ["method", "route", "status"],
        ),
        latency=Histogram(
            "niaga_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["route"],
            buckets=LATENCY_BUCKETS,
        ),
        webhooks=Counter(
            "niaga_webhooks_received_total",
            "Webhook deliveries from Meta, by outcome",
            ["result"],
        ),
        sends=Counter(
            "niaga_sends_total",
            "Send attempts to the Graph API, by result and Meta's error code",
            ["result", "error_code"],
        ),
        waits=Counter("niaga_rate_limit_waits_total", "Times a send waited for the rate limit"),
        waited=Counter(
            "niaga_rate_limit_wait_seconds_total", "Seconds sends waited for the rate limit"
        ),
    )


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request (``route`` is the template, never the raw path)."""
    m = _m()
    m.requests.labels(method, route, f"{status // 100}xx").inc()
    m.latency.labels(route).observe(seconds)


def count_webhook(status: int) -> None:
    """One webhook delivery: accepted, refused (signature, size) or malformed."""
    result = {200: "accepted", 401: "bad_signature", 413: "too_large"}.get(status, "malformed")
    _m().webhooks.labels(result).inc()


def count_send(result: str, error_code: int | None = None) -> None:
    """One send attempt's outcome (sent, retry, failed, in_doubt)."""
    _m().sends.labels(result, str(error_code) if error_code is not None else "").inc()


def count_rate_limit_wait(seconds: float) -> None:
    """A send held back by the rate limiter for ``seconds``."""
    m = _m()
    m.waits.inc()
    m.waited.inc(seconds)


def exposition(extra: list[Any] | None = None) -> tuple[bytes, str]:
    """The text exposition of every process's metrics plus ``extra`` collectors."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    _m()  # the families appear (at zero) before anything happened
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    output = generate_latest(registry)
    if extra:
        scratch = CollectorRegistry()
        for collector in extra:
            scratch.register(collector)
        output += generate_latest(scratch)
    return output, CONTENT_TYPE_LATEST
