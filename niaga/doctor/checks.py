"""The checks ``niaga doctor`` and the status page run, each ending in a :class:`Finding`.

Meta's side is asked through the Graph API (the sandbox plays it): the access token and its
permissions, the phone number's registration, display name, quality rating and messaging
limit, the webhook subscription, Meta's clock. Niaga's side is read locally: the last webhook,
templates Meta paused or rejected, Meta's account notifications, the database and its schema,
Redis, disk space, backlogs, backups, and whether a newer release exists (when a release feed
is configured; offline is not a problem).
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga import __version__
from niaga.channels.whatsapp.errors import GraphError, GraphTransportError
from niaga.channels.whatsapp.models import AccountEvent, WebhookEvent
from niaga.core import clock, migrate
from niaga.core.config import Settings
from niaga.doctor import backlogs
from niaga.doctor.findings import Finding
from niaga.outbox.models import OutboxMessage
from niaga.templates.models import MessageTemplate

SCOPES = ("whatsapp_business_messaging", "whatsapp_business_management")
TOKEN_FIX = (
    "Create a new permanent token for your System User in Meta Business Settings (with "
    "whatsapp_business_messaging and whatsapp_business_management), then run: niaga secrets "
    "set wa_access_token"
)
QUIET_WEBHOOKS = timedelta(hours=6)
CLOCK_WARN, CLOCK_FAIL = 5.0, 60.0
DISK_WARN, DISK_FAIL = 2 * 2**30, 300 * 2**20
BACKLOG_WARN = {"webhooks": 60.0, "outbox": 300.0}
BACKUP_STALE = timedelta(hours=36)
EVENT_HORIZON = timedelta(days=30)
BAD_TEMPLATE_STATES = ("REJECTED", "PAUSED", "DISABLED", "FLAGGED")
LIMITS = {
    "TIER_50": "50",
    "TIER_250": "250",
    "TIER_1K": "1,000",
    "TIER_2K": "2,000",
    "TIER_10K": "10,000",
    "TIER_100K": "100,000",
    "TIER_UNLIMITED": "unlimited",
}


async def diagnose(
    settings: Settings,
    engine: Engine,
    factory: sessionmaker[Session],
    channel: Any,
    intake: sessionmaker[Session] | None = None,
) -> list[Finding]:
    """Every check, Meta's side and Niaga's; never raises for a problem it finds."""
    findings: list[Finding] = []
    findings += await _meta(settings, channel)
    local = await asyncio.to_thread(_local, settings, engine, factory, intake or factory)
    findings += local
    findings.append(await asyncio.to_thread(release, settings))
    return findings


# ---------------------------------------------------------------------- Meta's side


def _graph_failure(key: str, exc: Exception) -> Finding:
    if isinstance(exc, GraphError) and exc.code == 190:
        return Finding(
            key,
            "fail",
            "The access token is not valid",
            "Meta refused it: {message}",
            TOKEN_FIX,
            {"message": str(exc.message)[:200]},
        )
    if isinstance(exc, GraphTransportError):
        return Finding(
            key,
            "fail",
            "Meta cannot be reached",
            "{message}",
            "Check this server's internet connection, DNS and firewall (outgoing HTTPS to "
            "graph.facebook.com).",
            {"message": str(exc)[:200]},
        )
    return Finding(
        key,
        "fail",
        "Meta refused the check",
        "{message}",
        "Check the phone number id and business account id in the settings, and the token's "
        "access to them.",
        {"message": str(exc)[:200]},
    )


async def _meta(settings: Settings, channel: Any) -> list[Finding]:
    found: list[Finding] = []
    try:
        token = await channel.check_token()
    except (GraphError, GraphTransportError) as exc:
        return [_graph_failure("token", exc)]  # nothing else can be asked
    found.append(_token(token))
    if not token.get("is_valid", False):
        return found
    try:
        number = await channel.get_phone_number(settings.wa_phone_number_id)
        found += _number(number)
    except (GraphError, GraphTransportError) as exc:
        found.append(_graph_failure("phone_number", exc))
    try:
        apps = await channel.subscribed_apps(settings.wa_business_account_id)
        found.append(_subscription(apps, settings))
    except (GraphError, GraphTransportError) as exc:
        found.append(_graph_failure("webhook_subscription", exc))
    try:
        theirs = await channel.server_clock(settings.wa_phone_number_id)
        found.append(_clock(theirs))
    except GraphTransportError as exc:
        found.append(_graph_failure("clock", exc))
    return found


def _token(token: dict[str, Any]) -> Finding:
    if not token.get("is_valid", False):
        message = str((token.get("error") or {}).get("message") or "invalid")
        return Finding(
            "token",
            "fail",
            "The access token is not valid",
            "Meta says: {message}",
            TOKEN_FIX,
            {"message": message},
        )
    missing = [s for s in SCOPES if s not in (token.get("scopes") or [])]
    if missing:
        return Finding(
            "token",
            "fail",
            "The access token lacks permissions",
            "Missing: {missing}",
            TOKEN_FIX,
            {"missing": ", ".join(missing)},
        )
    expires = int(token.get("expires_at") or 0)
    if expires:
        left = datetime.fromtimestamp(expires, tz=clock.now().tzinfo) - clock.now()
        if left < timedelta(days=7):
            return Finding(
                "token",
                "warn",
                "The access token expires soon",
                "It expires in {days} days.",
                TOKEN_FIX,
                {"days": max(0, left.days)},
            )
    return Finding(
        "token",
        "ok",
        "The access token is valid",
        "Permissions: {scopes}",
        "",
        {"scopes": ", ".join(token.get("scopes") or [])},
    )


def _number(number: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    shown = {"number": number.get("display_phone_number") or "?"}
    verification = number.get("code_verification_status")
    if verification and verification not in ("VERIFIED", "NOT_VERIFIED"):
        out.append(
            Finding(
                "registration",
                "fail",
                "The phone number is not registered",
                "Meta reports {status} for {number}.",
                "Finish the number's registration in WhatsApp Manager (verification code and "
                "two-step PIN), then run niaga doctor again.",
                {**shown, "status": verification},
            )
        )
    else:
        out.append(
            Finding("registration", "ok", "The phone number is registered", "{number}", "", shown)
        )
    name_status = number.get("name_status") or ""
    if name_status in ("APPROVED", "AVAILABLE_WITHOUT_REVIEW", ""):
        out.append(
            Finding(
                "display_name",
                "ok",
                "The display name is approved",
                "{name}",
                "",
                {"name": number.get("verified_name") or "?"},
            )
        )
    else:
        out.append(
            Finding(
                "display_name",
                "warn" if name_status == "PENDING_REVIEW" else "fail",
                "The display name is not approved",
                'Meta\'s review of "{name}" says {status}.',
                "Pending: wait for Meta's review (usually 1–3 days). Declined: change the name in "
                "WhatsApp Manager to match your business and its website, then submit it again.",
                {"name": number.get("verified_name") or "?", "status": name_status},
            )
        )
    quality = number.get("quality_rating") or "UNKNOWN"
    limit = LIMITS.get(str(number.get("messaging_limit_tier") or ""), "?")
    if quality == "RED":
        status, fix = (
            "fail",
            "Customers block or report your messages. Pause marketing campaigns, send only to "
            "customers who opted in, make templates shorter and more useful, and send less often; "
            "Meta may lower your messaging limit if it stays red.",
        )
    elif quality == "YELLOW":
        status, fix = (
            "warn",
            "Some customers block or report your messages: check the campaigns of the last days "
            "and keep marketing to customers who opted in.",
        )
    else:
        status, fix = "ok", ""
    out.append(
        Finding(
            "quality",
            status,
            "Quality rating: {quality}",
            "Messaging limit: {limit} customers a new conversation may start with in 24 hours.",
            fix,
            {"quality": quality, "limit": limit},
        )
    )
    return out


def _subscription(apps: list[dict[str, Any]], settings: Settings) -> Finding:
    ids = {str((a.get("whatsapp_business_api_data") or a).get("id") or "") for a in apps}
    if settings.wa_app_id in ids:
        return Finding(
            "webhook_subscription",
            "ok",
            "Webhooks are subscribed",
            "App {app}",
            "",
            {"app": settings.wa_app_id},
        )
    return Finding(
        "webhook_subscription",
        "fail",
        "Webhooks are not subscribed",
        "Meta sends this app no messages or statuses for the business account {waba}.",
        'Press "Subscribe webhooks" on the status page or run: niaga doctor --subscribe. Also '
        "check the callback URL and fields in the App Dashboard (WhatsApp › Configuration).",
        {"waba": settings.wa_business_account_id},
    )


def _clock(theirs: datetime | None) -> Finding:
    if theirs is None:
        return Finding("clock", "info", "Meta's clock could not be read", "", "", {})
    skew = (clock.now() - theirs).total_seconds()
    params = {"seconds": f"{skew:+.0f}"}
    if abs(skew) >= CLOCK_FAIL:
        status = "fail"
    elif abs(skew) >= CLOCK_WARN:
        status = "warn"
    else:
        return Finding("clock", "ok", "The clock is right", "{seconds} s from Meta's.", "", params)
    return Finding(
        "clock",
        status,
        "This server's clock is off",
        "It is {seconds} s from Meta's: signatures, 24-hour windows and schedules go wrong.",
        "Turn on time synchronisation: sudo timedatectl set-ntp true (or install chrony).",
        params,
    )


# ---------------------------------------------------------------------- Niaga's side


def _local(
    settings: Settings,
    engine: Engine,
    factory: sessionmaker[Session],
    intake: sessionmaker[Session],
) -> list[Finding]:
    out: list[Finding] = []
    try:
        current, head = migrate.schema_state(engine)
    except Exception as exc:
        return [
            Finding(
                "database",
                "fail",
                "The database cannot be reached",
                "{message}",
                "Check NIAGA_DATABASE_URL, that the database server runs, and its password.",
                {"message": f"{type(exc).__name__}: {exc}"[:200]},
            )
        ]
    if current != head:
        out.append(
            Finding(
                "database",
                "fail",
                "The database schema is not current",
                "The database is at {current}; this Niaga needs {head}.",
                "Run: niaga db upgrade (after a backup: niaga backup).",
                {"current": current or "-", "head": head},
            )
        )
    else:
        out.append(
            Finding("database", "ok", "The database answers", "Schema {head}", "", {"head": head})
        )
    out.append(_redis(settings))
    out.append(_disk(settings))
    out += _backlogs(factory, intake)
    out.append(_last_webhook(factory, intake))
    out += _templates(factory)
    out.append(_own_templates(settings, factory))
    out.append(_catalog(factory))
    out += _meta_events(factory)
    out.append(_backups(settings))
    return out


def _redis(settings: Settings) -> Finding:
    if not settings.redis_url:
        return Finding("redis", "ok", "Redis is not used", "One process: not needed.", "", {})
    try:
        import redis

        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return Finding(
            "redis",
            "fail",
            "Redis does not answer",
            "{message}",
            "Start Redis (systemctl start redis-server) or check NIAGA_REDIS_URL and its password.",
            {"message": f"{type(exc).__name__}"},
        )
    return Finding("redis", "ok", "Redis answers", "", "", {})


def _disk(settings: Settings) -> Finding:
    folder = Path(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(folder)
    params = {"free": f"{usage.free / 2**30:.1f}", "folder": str(folder)}
    if usage.free < DISK_FAIL or usage.free < usage.total * 0.02:
        status = "fail"
    elif usage.free < DISK_WARN or usage.free < usage.total * 0.05:
        status = "warn"
    else:
        return Finding("disk", "ok", "Enough disk space", "{free} GB free for {folder}", "", params)
    return Finding(
        "disk",
        status,
        "Disk space is running out",
        "{free} GB free for {folder}.",
        "Free space: move backups elsewhere (NIAGA_BACKUP_DIR), keep fewer (NIAGA_BACKUP_KEEP), "
        "shorten retention (Security › Privacy), or enlarge the disk.",
        params,
    )


def _backlogs(factory: sessionmaker[Session], intake: sessionmaker[Session]) -> list[Finding]:
    found = backlogs.read(factory, intake)
    lags = {q: (found.queues[q].count, found.queues[q].age_seconds) for q in BACKLOG_WARN}
    held = found.held
    out = []
    for queue, (count, age) in lags.items():
        params = {"queue": queue, "count": count, "minutes": f"{age / 60:.0f}"}
        if count and age > BACKLOG_WARN[queue]:
            out.append(
                Finding(
                    f"backlog_{queue}",
                    "warn",
                    "Work is waiting: {queue}",
                    "{count} waiting, the oldest for {minutes} minutes.",
                    "Check that the worker runs (systemctl status niaga-web / niaga-worker@1, "
                    "/readyz) and its log; a large campaign or a Meta rate limit also queues "
                    "sends.",
                    params,
                )
            )
        else:
            out.append(
                Finding(
                    f"backlog_{queue}",
                    "ok",
                    "Nothing waits long: {queue}",
                    "{count} waiting.",
                    "",
                    params,
                )
            )
    if held:
        out.append(
            Finding(
                "sends_held",
                "warn",
                "Sends need a person",
                "{count} messages failed or are in doubt.",
                "Open the inbox: failed messages show Meta's reason; resend or answer otherwise.",
                {"count": held},
            )
        )
    return out


def _last_webhook(factory: sessionmaker[Session], intake: sessionmaker[Session]) -> Finding:
    with intake() as session:
        last = session.scalar(select(func.max(WebhookEvent.received_at)))
    since = clock.now() - QUIET_WEBHOOKS
    with factory() as session:
        sent = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.state == "sent", OutboxMessage.sent_at >= since)
        )
    params = {"when": clock.as_utc(last).isoformat(timespec="minutes") if last else "-"}
    if sent and (last is None or clock.as_utc(last) < since):
        return Finding(
            "last_webhook",
            "fail",
            "Meta's webhooks stopped arriving",
            "Messages were sent in the last hours but no webhook came since {when}.",
            "Check the webhook subscription and the callback URL in the App Dashboard, that "
            "NIAGA_PUBLIC_URL is reachable over HTTPS, and the app secret (refused signatures "
            "show in niaga_webhooks_received_total).",
            params,
        )
    return Finding(
        "last_webhook", "ok" if last else "info", "Last webhook from Meta", "{when}", "", params
    )


def _templates(factory: sessionmaker[Session]) -> list[Finding]:
    with factory() as session:
        rows = session.scalars(
            select(MessageTemplate)
            .where(
                (MessageTemplate.status.in_(BAD_TEMPLATE_STATES))
                | (MessageTemplate.quality == "RED")
            )
            .order_by(MessageTemplate.name)
        ).all()
        problems = [(t.name, t.language, t.status, t.quality, t.reason) for t in rows]
    if not problems:
        return [Finding("templates", "ok", "No template problems", "", "", {})]
    out = []
    for name, language, status, quality, reason in problems:
        out.append(
            Finding(
                f"template:{name}:{language}",
                "warn",
                "Template {name} ({language}) is {status}",
                "Quality {quality}. {reason}",
                "Paused or red: customers reported it; make it more useful or send it to fewer "
                "people, it is released after a few hours. Rejected: edit it under Templates "
                "following Meta's reason and submit it again. Disabled: write a new one.",
                {
                    "name": name,
                    "language": language,
                    "status": status,
                    "quality": quality or "-",
                    "reason": reason or "",
                },
            )
        )
    return out


BAD_EVENT_WORDS = ("VIOLATION", "BAN", "FLAGGED", "DOWNGRADE", "REJECT", "DISABLED", "RESTRICT")


def _catalog(factory: sessionmaker[Session]) -> Finding:
    from niaga.catalog.models import MetaCatalogItem

    with factory() as session:
        refused = session.scalars(
            select(MetaCatalogItem.sku).where(MetaCatalogItem.state == "error").limit(20)
        ).all()
    if not refused:
        return Finding("catalog", "ok", "Meta's catalog holds every product", "", "", {})
    return Finding(
        "catalog",
        "warn",
        "Meta refused some products",
        "{skus}",
        "Open Catalog: each refused product shows Meta's reason (often a photo Meta cannot "
        "download, or a price of 0); fix it and it is sent again within a minute.",
        {"skus": ", ".join(refused)},
    )


def _own_templates(settings: Settings, factory: sessionmaker[Session]) -> Finding:
    from niaga.doctor import own_templates

    with factory() as session:
        found = own_templates.states(session, settings)
    waiting = [own.name for own, status in found if status != "APPROVED"]
    if not waiting:
        return Finding("own_templates", "ok", "Niaga's own templates are approved", "", "", {})
    return Finding(
        "own_templates",
        "info",
        "Some templates Niaga uses are not approved",
        "{names}: outside the 24-hour window those messages are not sent (each feature says so).",
        "Submit them on the Templates page with one click (Meta reviews them, usually within "
        "minutes).",
        {"names": ", ".join(waiting)},
    )


EVENT_FIXES = {
    "phone_number_quality_update": (
        "Meta changed the number's quality or messaging limit: see the quality rating above."
    ),
    "account_update": (
        "Read the event in WhatsApp Manager › Account overview; a violation or restriction "
        "needs an appeal there."
    ),
    "account_review_update": "Meta reviewed the business account: see its decision.",
    "account_alerts": "Meta warns about the account: open WhatsApp Manager's notifications.",
    "business_capability_update": "Meta changed what the account may do (limits).",
    "phone_number_name_update": "Meta reviewed the display name: see the decision.",
}


def _meta_events(factory: sessionmaker[Session]) -> list[Finding]:
    since = clock.now() - EVENT_HORIZON
    with factory() as session:
        rows = session.scalars(
            select(AccountEvent)
            .where(AccountEvent.received_at >= since)
            .order_by(AccountEvent.id.desc())
            .limit(20)
        ).all()
        events = [(r.id, r.field, r.event, r.received_at, r.payload) for r in rows]
    out = []
    for row_id, field, event, at, payload in events:
        facts = ", ".join(
            f"{k}: {v}"
            for k, v in (payload or {}).items()
            if k not in ("event",) and isinstance(v, str | int | float) and v != ""
        )[:300]
        bad = any(
            word in f"{event} {facts}".upper()
            for word in (
                "VIOLATION",
                "BAN",
                "FLAGGED",
                "DOWNGRADE",
                "REJECT",
                "DISABLED",
                "RESTRICT",
            )
        )
        out.append(
            Finding(
                f"meta_event:{row_id}",
                "warn" if bad else "info",
                "Meta: {field} {event}",
                "{when}. {facts}",
                EVENT_FIXES.get(field, "See the event in WhatsApp Manager."),
                {
                    "field": field,
                    "event": event or "",
                    "when": clock.as_utc(at).isoformat(timespec="minutes"),
                    "facts": facts,
                },
            )
        )
    return out


def _backups(settings: Settings) -> Finding:
    if not settings.backup_enabled:
        return Finding(
            "backups",
            "warn",
            "Daily backups are off",
            "",
            "Turn them on (NIAGA_BACKUP_ENABLED=1) or back up another way (niaga backup).",
            {},
        )
    folder = (
        Path(settings.backup_dir) if settings.backup_dir else Path(settings.data_dir) / "backups"
    )
    found = sorted(folder.glob("niaga-backup-*.nbk"), key=lambda p: p.stat().st_mtime)
    if not found:
        return Finding(
            "backups",
            "info",
            "No backup yet",
            "The worker makes the first one at the backup hour.",
            "Make one now: niaga backup",
            {},
        )
    newest = datetime.fromtimestamp(found[-1].stat().st_mtime, tz=clock.now().tzinfo)
    params = {"when": newest.isoformat(timespec="minutes"), "count": len(found)}
    if clock.now() - newest > BACKUP_STALE:
        return Finding(
            "backups",
            "warn",
            "The last backup is old",
            "Newest of {count}: {when}.",
            "Check the worker's log for the daily backup (disk full? pg_dump missing?), or run: "
            "niaga backup",
            params,
        )
    return Finding("backups", "ok", "Backups are current", "Newest of {count}: {when}.", "", params)


def release(settings: Settings) -> Finding:
    """Is a newer Niaga out? Read from ``NIAGA_RELEASE_FEED`` (JSON with ``version`` and
    ``url``); no feed or no internet is fine: the check says so."""
    feed = settings.release_feed
    if not feed:
        return Finding(
            "release",
            "info",
            "Niaga {version}",
            "No release feed is set (NIAGA_RELEASE_FEED), so newer releases are not looked for.",
            "",
            {"version": __version__},
        )
    import httpx
    from packaging.version import InvalidVersion, Version

    try:
        data = httpx.get(feed, timeout=3.0, follow_redirects=True).json()
        latest = str(data.get("version") or "")
        newer = Version(latest) > Version(__version__)
    except (httpx.HTTPError, ValueError, AttributeError, InvalidVersion) as exc:
        return Finding(
            "release",
            "info",
            "Niaga {version}",
            "Newer releases could not be looked up ({reason}); offline is fine.",
            "",
            {"version": __version__, "reason": type(exc).__name__},
        )
    if newer:
        return Finding(
            "release",
            "warn",
            "Niaga {latest} is out",
            "This is {version}. {notes}",
            "Back up (niaga backup), then upgrade: see docs/deployment.md, section 9.",
            {"latest": latest, "version": __version__, "notes": str(data.get("url") or "")},
        )
    return Finding(
        "release", "ok", "Niaga {version} is the newest", "", "", {"version": __version__}
    )
