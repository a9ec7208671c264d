"""Scheduling a delivery in the cause's transaction, and delivering it from the jobs layer.

A delivery is a row and a durable job scheduled together, so an event that committed is
delivered even if the process dies right after. The job POSTs once per attempt; a 2xx answer
delivers it, anything else (a redirect too: it is not followed) is retried with a doubling
delay (30 s, 1, 2, 4, 8, 16 min: seven tries over about half an hour), then ``failed``.
A target that is, or resolves to, an internal address is ``refused`` at once, never retried.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import aiohttp
from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import causes
from niaga.core.hosts import host_names
from niaga.core.jobs import store
from niaga.outgoing_webhooks import signing
from niaga.outgoing_webhooks.models import WebhookDelivery
from niaga.outgoing_webhooks.targets import (
    GuardedResolver,
    RefusedTarget,
    check_url,
)

log = logging.getLogger(__name__)

DELIVER_JOB = "outgoing_webhooks.deliver"
MAX_ATTEMPTS = 7
RETRY_AFTER = 30.0
TIMEOUT_SECONDS = 10.0
USER_AGENT = "Niaga-Webhooks/1"


class DeliveryFailed(Exception):
    """An attempt that did not get a 2xx answer (retried by the jobs layer)."""


def do_schedule_delivery(
    session: Session, *, rule_id: int | None, event: str, url: str, payload: dict[str, Any]
) -> WebhookDelivery:
    """Record a delivery and schedule its job in the session's transaction."""
    row = WebhookDelivery(rule_id=rule_id, event=event[:64], url=url, payload=payload)
    session.add(row)
    session.flush()
    store.schedule(
        session, DELIVER_JOB, payload={"delivery_id": row.id}, max_attempts=MAX_ATTEMPTS + 3
    )
    return row


def list_deliveries(session: Session, limit: int = 200) -> list[WebhookDelivery]:
    """The newest deliveries first."""
    return list(
        session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit))
    )


def _refusal(exc: BaseException) -> RefusedTarget | None:
    return next((e for e in causes(exc) if isinstance(e, RefusedTarget)), None)


async def deliver(ctx: Any, payload: dict[str, Any]) -> None:
    """One attempt at delivery ``payload["delivery_id"]`` (the job's body)."""
    settings = ctx.settings
    with transaction(ctx.factory) as session:
        row = session.get(WebhookDelivery, int(payload["delivery_id"]))
        if row is None or row.status != "pending":
            return  # delivered, given up or refused already: nothing to do twice
        delivery_id, url, event = row.id, row.url, row.event
        body = json.dumps(
            {"id": delivery_id, "event": event, **row.payload}, separators=(",", ":")
        ).encode()
    allowed = host_names(settings.webhook_allow_hosts)
    status_code: int | None = None
    error: str | None = None
    refused = False
    try:
        check_url(url, allowed)
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Niaga-Event": event,
            "X-Niaga-Delivery": str(delivery_id),
            "X-Niaga-Signature": signing.sign(
                signing.webhook_secret(settings.secret_key), stamp, body
            ),
        }
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(allowed), force_close=True)
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with (
            aiohttp.ClientSession(connector=connector, timeout=timeout) as http,
            http.post(url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            status_code = response.status
            if not 200 <= response.status < 300:
                text = (await response.text(errors="replace"))[:300]
                error = f"HTTP {response.status}: {text}".strip()
    except Exception as exc:
        refusal = _refusal(exc)
        refused = refusal is not None
        error = str(refusal) if refusal is not None else f"{type(exc).__name__}: {exc}"[:500]
    _record(ctx, delivery_id, status_code, error, refused)


def _record(
    ctx: Any, delivery_id: int, status_code: int | None, error: str | None, refused: bool
) -> None:
    now = clock.now()
    with transaction(ctx.factory) as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            return
        row.attempts += 1
        row.last_attempt_at = now
        row.last_status_code = status_code
        row.last_error = error
        if error is None:
            row.status, row.delivered_at = "delivered", now
            return
        if refused:
            row.status = "refused"
            log.warning("outgoing webhook %s refused: %s", delivery_id, error)
            return
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            log.warning("outgoing webhook %s failed for good: %s", delivery_id, error)
            return
    raise DeliveryFailed(error)
