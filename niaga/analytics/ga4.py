"""Conversions fed to Google Analytics 4 through its Measurement Protocol, queued while offline.

When ``ga4_measurement_id`` and ``ga4_api_secret`` are set, every order made becomes a
``purchase`` event (its number, value in IDR, shipping, items, and where it came from), and an
order cancelled after its purchase was reported a ``refund``. Events are kept in
``ga4_events`` until GA4 takes them: a network error, a 5xx or a 429 leaves them queued and
tried again with a growing pause; a 4xx marks them refused with GA4's answer. GA4 accepts
events up to 72 hours old (each is sent with its own time), so one still queued after that is
marked expired rather than sent. Customers are identified by a pseudonymous ``client_id``
derived from the contact and the API secret: no phone number or name leaves Niaga.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from niaga.analytics.counting import CANCELLED
from niaga.analytics.models import Ga4Event
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import insert_ignoring_conflicts, transaction
from niaga.orders.models import Order

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=72)  # GA4 takes events at most this old
PER_REQUEST = 25  # GA4's limit of events in one request
MAX_ITEMS = 200
ROUND = 500  # events sent per round at most
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(hours=1)
TEXT = 100  # GA4 cuts parameter values at 100 characters


def enabled(settings: Settings) -> bool:
    return bool(settings.ga4_measurement_id and settings.ga4_api_secret)


def client_id(secret: str, contact_id: int) -> str:
    """A stable pseudonymous id for a customer, in GA's "number.number" form."""
    digest = hashlib.sha256(f"niaga-ga4:{secret}:{contact_id}".encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big')}.{int.from_bytes(digest[4:8], 'big')}"


def collect(factory: sessionmaker[Session], settings: Settings) -> int:
    """Queue the purchases and refunds of the last 72 hours not queued yet; how many."""
    now = clock.now()
    since = now - MAX_AGE
    queued = 0
    with transaction(factory) as s:
        purchased = exists().where(and_(Ga4Event.kind == "purchase", Ga4Event.order_id == Order.id))
        for order in s.scalars(
            select(Order)
            .where(Order.created_at >= since, Order.status != CANCELLED, ~purchased)
            .options(selectinload(Order.items))
            .order_by(Order.id)
            .limit(ROUND)
        ):
            queued += _queue(s, settings, "purchase", order, order.created_at, _purchase(order))
        # Cancelled: a purchase still queued is withdrawn; one GA4 has gets its refund.
        s.execute(
            update(Ga4Event)
            .where(
                Ga4Event.kind == "purchase",
                Ga4Event.state == "pending",
                Ga4Event.order_id.in_(select(Order.id).where(Order.status == CANCELLED)),
            )
            .values(state="withdrawn")
        )
        refunded = exists().where(and_(Ga4Event.kind == "refund", Ga4Event.order_id == Order.id))
        reported = exists().where(
            and_(
                Ga4Event.kind == "purchase",
                Ga4Event.order_id == Order.id,
                Ga4Event.state == "sent",
            )
        )
        for order in s.scalars(
            select(Order)
            .where(Order.status == CANCELLED, Order.updated_at >= since, reported, ~refunded)
            .order_by(Order.id)
            .limit(ROUND)
        ):
            at = order.cancelled_at or order.updated_at
            queued += _queue(s, settings, "refund", order, at, _refund(order))
    return queued


def _queue(
    s: Session, settings: Settings, kind: str, order: Order, at: datetime, params: dict[str, Any]
) -> int:
    done = s.execute(
        insert_ignoring_conflicts(s, Ga4Event.__table__).values(
            kind=kind,
            order_id=order.id,
            client_id=client_id(settings.ga4_api_secret, order.contact_id),
            params=params,
            occurred_at=clock.as_utc(at),
            state="pending",
            attempts=0,
        )
    )
    return int(done.rowcount or 0)


def _purchase(order: Order) -> dict[str, Any]:
    params: dict[str, Any] = {
        "transaction_id": str(order.number),
        "value": float(order.total),
        "currency": order.currency or "IDR",
        "shipping": float(order.shipping_fee),
        "items": [
            {
                "item_id": item.sku[:TEXT],
                "item_name": item.name[:TEXT],
                "price": float(item.unit_price),
                "quantity": int(item.quantity),
            }
            for item in order.items[:MAX_ITEMS]
        ],
        "source": "whatsapp",
        "medium": order.source[:TEXT],
    }
    if order.discount:
        params["discount"] = float(order.discount)
    campaign = ((order.attribution or {}).get("campaign") or {}).get("campaign_id")
    if campaign is not None:
        params["campaign_id"] = str(campaign)[:TEXT]
    return params


def _refund(order: Order) -> dict[str, Any]:
    return {
        "transaction_id": str(order.number),
        "value": float(order.total),
        "currency": order.currency or "IDR",
    }


def send(factory: sessionmaker[Session], settings: Settings, http: httpx.Client) -> int:
    """Send what is queued and due, a customer's events together (25 a request); how many
    GA4 took. Stops at the first sign GA4 cannot be reached (the rest wait their turn)."""
    now = clock.now()
    with transaction(factory) as s:
        s.execute(  # too old for GA4: never sent
            update(Ga4Event)
            .where(Ga4Event.state == "pending", Ga4Event.occurred_at < now - MAX_AGE)
            .values(state="expired", error="older than 72 hours, which GA4 does not take")
        )
        due = s.scalars(
            select(Ga4Event)
            .where(
                Ga4Event.state == "pending",
                Ga4Event.next_try_at.is_(None) | (Ga4Event.next_try_at <= now),
            )
            .order_by(Ga4Event.id)
            .limit(ROUND)
        ).all()
    by_client: dict[str, list[Ga4Event]] = defaultdict(list)
    for event in due:
        by_client[event.client_id].append(event)
    parts = [
        (customer, events[start : start + PER_REQUEST])
        for customer, events in by_client.items()
        for start in range(0, len(events), PER_REQUEST)
    ]
    taken = 0
    for n, (customer, part) in enumerate(parts):
        verdict, error = _post(http, settings, customer, part)
        if verdict == "retry":  # GA4 out of reach: this round's rest waits with it
            _record(factory, [e for _, rest in parts[n:] for e in rest], verdict, error)
            return taken
        _record(factory, part, verdict, error)
        taken += len(part) if verdict == "sent" else 0
    return taken


def _post(
    http: httpx.Client, settings: Settings, customer: str, events: list[Ga4Event]
) -> tuple[str, str | None]:
    """One request: ``sent``, ``refused`` (GA4 said no) or ``retry`` (not reached)."""
    body = {
        "client_id": customer,
        "events": [
            {
                "name": e.kind,
                "params": e.params,
                "timestamp_micros": int(clock.as_utc(e.occurred_at).timestamp() * 1_000_000),
            }
            for e in events
        ],
    }
    try:
        r = http.post(
            settings.ga4_endpoint,
            params={
                "measurement_id": settings.ga4_measurement_id,
                "api_secret": settings.ga4_api_secret,
            },
            json=body,
        )
    except httpx.HTTPError as exc:
        return "retry", f"{type(exc).__name__}: {exc}"[:500]
    if r.status_code < 300:
        return "sent", None
    error = f"HTTP {r.status_code}: {r.text[:300]}"
    if r.status_code == 429 or r.status_code >= 500:
        return "retry", error
    return "refused", error


def _record(
    factory: sessionmaker[Session], events: list[Ga4Event], verdict: str, error: str | None
) -> None:
    now = clock.now()
    ids = [e.id for e in events]
    with transaction(factory) as s:
        if verdict == "sent":
            values: dict[str, Any] = {"state": "sent", "sent_at": now, "error": None}
            s.execute(update(Ga4Event).where(Ga4Event.id.in_(ids)).values(**values))
        elif verdict == "refused":
            s.execute(
                update(Ga4Event).where(Ga4Event.id.in_(ids)).values(state="refused", error=error)
            )
        else:
            attempts = max(e.attempts for e in events) + 1
            pause = min(FIRST_PAUSE * 2 ** (attempts - 1), LONGEST_PAUSE)
            s.execute(
                update(Ga4Event)
                .where(Ga4Event.id.in_(ids))
                .values(attempts=Ga4Event.attempts + 1, next_try_at=now + pause, error=error)
            )
    if verdict != "sent":
        log.warning("GA4 %s: %s", verdict, error)


def status(session: Session, settings: Settings) -> dict[str, Any]:
    """The feed as the owner sees it: on or off, events by state, the latest error."""
    counts = dict(
        session.execute(select(Ga4Event.state, func.count()).group_by(Ga4Event.state)).all()
    )
    last_error = session.scalar(
        select(Ga4Event.error)
        .where(Ga4Event.error.is_not(None))
        .order_by(Ga4Event.id.desc())
        .limit(1)
    )
    return {
        "on": enabled(settings),
        "measurement_id": settings.ga4_measurement_id or None,
        "events": {str(k): int(v) for k, v in counts.items()},
        "last_error": last_error,
    }


def run(factory: sessionmaker[Session], settings: Settings) -> int:
    """One round of the job: queue, then send; how many GA4 took."""
    if not enabled(settings):
        return 0
    collect(factory, settings)
    with httpx.Client(timeout=settings.ga4_timeout) as http:
        return send(factory, settings, http)
