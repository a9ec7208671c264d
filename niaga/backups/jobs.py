"""The daily backup: made, checked by a restore into a scratch database, old ones pruned."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from niaga.backups import service
from niaga.core import clock
from niaga.core.jobs.registry import JobContext, PeriodicSpec, Registry
from niaga.security import audit

log = logging.getLogger(__name__)


def due(ctx: JobContext) -> bool:
    """After the backup hour once a day (and at once when the last is over a day and a half
    old, e.g. the machine was off at that hour)."""
    settings = ctx.settings
    folder = service.backup_dir(settings)
    newest = max((p.stat().st_mtime for p in folder.glob(f"*{service.SUFFIX}")), default=None)
    now = clock.now()
    last_age = timedelta.max if newest is None else now - datetime.fromtimestamp(newest, UTC)
    local_hour = now.astimezone(ZoneInfo(settings.timezone)).hour
    return last_age > timedelta(hours=36) or (
        local_hour >= settings.backup_hour and last_age > timedelta(hours=20)
    )


def run(ctx: JobContext) -> None:
    settings = ctx.settings
    if not settings.backup_enabled or not due(ctx):
        return
    try:
        path, _manifest = service.make(settings)
        checked = service.check(settings, path)
    except Exception as exc:
        audit.record_now(
            ctx.factory,
            "backup.failed",
            actor=audit.SYSTEM,
            details={"error": f"{type(exc).__name__}: {exc}"[:300]},
        )
        raise
    removed = service.prune(settings, settings.backup_keep, made=path)
    audit.record_now(
        ctx.factory,
        "backup.created",
        actor=audit.SYSTEM,
        details={
            "file": path.name,
            "bytes": path.stat().st_size,
            "rows": checked["rows"],
            "media_files": checked["media_files"],
            "checked": True,
            "pruned": len(removed),
        },
    )
    log.info("backup %s made and checked (%s rows)", path.name, checked["rows"])


def register(registry: Registry) -> None:
    """Look every 15 minutes whether the day's backup is due (one process at a time)."""
    registry.add_periodic(
        PeriodicSpec("backups.daily", 900.0, run, retry_after=900.0, timeout=6 * 3600)
    )
