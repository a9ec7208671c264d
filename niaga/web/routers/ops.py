"""What operations look at: ``/livez`` (the process answers), ``/readyz`` (it can do its
work: database, schema, webhook intake, worker, Redis), ``/healthz`` (kept: the database
answers), and Prometheus ``/metrics`` — every process's counters plus queue depths and the
processing lag read from the database at scrape time."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from niaga import __version__
from niaga.channels.whatsapp import intake_db
from niaga.core import metrics, migrate
from niaga.core.tokens import tokens_equal
from niaga.doctor import backlogs

router = APIRouter(tags=["health"])
LOOPBACK = ("127.0.0.1", "::1", "localhost")
FORWARDED = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


@router.get("/livez")
def livez() -> JSONResponse:
    """Liveness: the process answers (nothing else is asked, so a slow database never gets a
    healthy process restarted)."""
    return JSONResponse({"status": "alive", "version": __version__})


def readiness(request: Request) -> tuple[bool, dict[str, str]]:
    """Each check's state in words; ready when none failed."""
    state = request.app.state
    settings = state.settings
    checks: dict[str, str] = {}
    try:
        current, head = migrate.schema_state(state.engine)
        checks["database"] = "ok"
        checks["schema"] = "ok" if current == head else f"at {current}, code wants {head}"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}: {exc}"[:300]
    writer = getattr(state, "webhook_writer", None)
    checks["webhook_intake"] = "ok" if writer is not None and writer.running else "stopped"
    child = getattr(state, "worker_process", None)
    if child is not None:
        checks["worker"] = "ok" if child.alive else "the worker process has stopped"
    elif getattr(state, "worker", None) is not None:
        checks["worker"] = "ok"
    else:
        checks["worker"] = "separate (niaga worker)"
    if settings.redis_url:
        try:
            import redis

            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    failed = [k for k, v in checks.items() if v not in ("ok", "separate (niaga worker)")]
    return not failed, checks


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: this process can take traffic and its work gets done (503 with the reason
    otherwise, for a load balancer or systemd's watchdog script)."""
    ready, checks = readiness(request)
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "version": __version__, "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """The database answers a query (older name, kept for existing monitors)."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "error", "database": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "version": __version__})


def _may_scrape(request: Request) -> bool:
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        return given.startswith("Bearer ") and tokens_equal(given[7:], token)
    forwarded = any(k in FORWARDED for k, _ in request.scope["headers"])
    host = request.client.host if request.client else ""
    return host in LOOPBACK and not forwarded


class BacklogCollector:
    """Queue depths and the processing lag, read when Prometheus scrapes."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        depth = GaugeMetricFamily("niaga_queue_depth", "Work waiting, by queue", labels=["queue"])
        lag = GaugeMetricFamily(
            "niaga_processing_lag_seconds",
            "Age of the oldest waiting item, by queue (0 when none waits)",
            labels=["queue"],
        )
        factory = self.state.read_session_factory
        intake = intake_db.intake_factory(self.state.settings, self.state.engine) or factory
        found = backlogs.read(factory, intake)
        for name, queue in found.queues.items():
            depth.add_metric([name], queue.count)
            lag.add_metric([name], queue.age_seconds)
        held = GaugeMetricFamily(
            "niaga_outbox_needing_attention", "Sends failed or in doubt, kept for a person"
        )
        held.add_metric([], found.held)
        yield depth
        yield lag
        yield held


@router.get("/metrics", include_in_schema=False)
def prometheus(request: Request) -> Response:
    """Prometheus text format (loopback only, or with ``NIAGA_METRICS_TOKEN`` as Bearer)."""
    if not _may_scrape(request):
        return PlainTextResponse(
            "metrics are for loopback callers or a bearer token (NIAGA_METRICS_TOKEN)",
            status_code=403,
        )
    started = time.perf_counter()
    body, content_type = metrics.exposition([BacklogCollector(request.app.state)])
    body += f"# scrape took {time.perf_counter() - started:.4f}s\n".encode()
    return Response(body, media_type=content_type)
