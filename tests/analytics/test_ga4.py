"""Conversions to GA4's Measurement Protocol, against a real HTTP server on loopback standing in
for Google: queued while it cannot be reached and sent once when it can, one request per
customer with a pseudonymous id; a cancellation after the purchase went is a refund; what GA4
refuses is kept with its answer; what waits longer than 72 hours expires."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import ga4
from niaga.analytics.models import Ga4Event
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.orders.models import Order, OrderItem
from tests.conftest import free_port, make_settings


class Google:
    """A Measurement Protocol endpoint that keeps what it is sent and answers ``status``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.status = 204
        self.requests: list[tuple[dict[str, list[str]], dict[str, Any]]] = []
        google = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(size))
                google.requests.append((parse_qs(urlsplit(self.path).query), body))
                self.send_response(google.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.handler = Handler
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mp/collect"

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def google() -> Iterator[Google]:
    found = Google()
    yield found
    found.stop()


def settings(google: Google) -> Any:
    return make_settings(
        "sqlite://",
        1,
        ga4_measurement_id="G-TOKO123",
        ga4_api_secret="rahasia-toko",
        ga4_endpoint=google.url,
        ga4_timeout=2.0,
    )


def order(s: Session, phone: str, number: int, total: int, **kw: Any) -> Order:
    contact = s.scalars(select(Contact).where(Contact.phone == phone)).first()
    if contact is None:
        contact = Contact(phone=phone, wa_id=phone.removeprefix("+"), display_name="Siti")
        s.add(contact)
        s.flush()
    made = Order(number=number, contact_id=contact.id, total=total, **kw)
    s.add(made)
    s.flush()
    return made


def states(factory: sessionmaker[Session]) -> dict[tuple[str, int], str]:
    with factory() as s:
        return {(e.kind, e.order_id): e.state for e in s.scalars(select(Ga4Event))}


def test_purchases_wait_while_offline_and_go_once(
    own_factory: sessionmaker[Session], google: Google
) -> None:
    config = settings(google)
    with transaction(own_factory) as s:
        first = order(s, "+6281234500001", 10001, 320_000, shipping_fee=20_000, source="campaign")
        s.add_all(
            [
                OrderItem(
                    order_id=first.id,
                    sku="GMS-01",
                    name="Gamis Navy",
                    quantity=2,
                    unit_price=150_000,
                    line_total=300_000,
                )
            ]
        )
        first.attribution = {"campaign": {"campaign_id": 7, "message_id": 1}}
        second = order(s, "+6281234500002", 10002, 90_000)
        ids = (first.id, second.id)
        made_at = clock.as_utc(first.created_at)
    # Google cannot be reached: both are queued and wait.
    assert ga4.run(own_factory, config) == 0
    assert states(own_factory) == {("purchase", ids[0]): "pending", ("purchase", ids[1]): "pending"}
    with own_factory() as s:
        waiting = s.scalars(select(Ga4Event)).all()
        assert all(
            e.attempts == 1 and e.next_try_at and "Connect" in (e.error or "") for e in waiting
        )
    google.start()
    assert ga4.run(own_factory, config) == 0  # not before their pause is over
    clock.advance(ga4.FIRST_PAUSE)
    assert ga4.run(own_factory, config) == 2
    assert ga4.run(own_factory, config) == 0  # once
    assert len(google.requests) == 2  # one request per customer
    query, body = google.requests[0]
    assert query == {"measurement_id": ["G-TOKO123"], "api_secret": ["rahasia-toko"]}
    assert body["client_id"] == ga4.client_id("rahasia-toko", first.contact_id)
    assert "6281234500001" not in json.dumps(body) and "Siti" not in json.dumps(body)
    [event] = body["events"]
    assert event["name"] == "purchase"
    assert event["timestamp_micros"] == int(made_at.timestamp() * 1_000_000)
    assert event["params"] == {
        "transaction_id": "10001",
        "value": 320_000.0,
        "currency": "IDR",
        "shipping": 20_000.0,
        "items": [
            {"item_id": "GMS-01", "item_name": "Gamis Navy", "price": 150_000.0, "quantity": 2}
        ],
        "source": "whatsapp",
        "medium": "campaign",
        "campaign_id": "7",
    }
    assert google.requests[1][1]["client_id"] != body["client_id"]

    # The second order is cancelled after GA4 had it: a refund. A third, made and cancelled
    # while queued, is withdrawn and never reported.
    with transaction(own_factory) as s:
        s.get_one(Order, ids[1]).status = "dibatalkan"
        third = order(s, "+6281234500003", 10003, 50_000).id
    google.stop()
    ga4.run(own_factory, config)  # offline again: the third waits
    with transaction(own_factory) as s:
        s.get_one(Order, third).status = "dibatalkan"
    google.start()
    clock.advance(ga4.LONGEST_PAUSE)
    assert ga4.run(own_factory, config) == 1
    assert google.requests[-1][1]["events"][0]["name"] == "refund"
    assert google.requests[-1][1]["events"][0]["params"]["transaction_id"] == "10002"
    assert states(own_factory) == {
        ("purchase", ids[0]): "sent",
        ("purchase", ids[1]): "sent",
        ("refund", ids[1]): "sent",
        ("purchase", third): "withdrawn",
    }


def test_refused_events_are_kept_and_old_ones_expire(
    own_factory: sessionmaker[Session], google: Google
) -> None:
    config = settings(google)
    google.status = 400
    google.start()
    with transaction(own_factory) as s:
        refused = order(s, "+6281234500001", 10001, 100_000).id
    assert ga4.run(own_factory, config) == 0
    with own_factory() as s:
        event = s.scalars(select(Ga4Event)).one()
        assert (event.state, event.error) == ("refused", "HTTP 400: ")
    # GA4 overloaded (503), then gone for three days: the event is too old to send.
    google.status = 503
    with transaction(own_factory) as s:
        late = order(s, "+6281234500002", 10002, 100_000).id
    ga4.run(own_factory, config)
    assert states(own_factory)[("purchase", late)] == "pending"
    clock.advance(ga4.MAX_AGE + timedelta(minutes=1))
    google.status = 204
    before = len(google.requests)
    assert ga4.run(own_factory, config) == 0
    assert len(google.requests) == before
    assert states(own_factory) == {("purchase", refused): "refused", ("purchase", late): "expired"}
    with own_factory() as s:
        shown = ga4.status(s, config)
    assert shown["on"] and shown["events"] == {"refused": 1, "expired": 1}


def test_off_without_both_settings(own_factory: sessionmaker[Session], google: Google) -> None:
    with transaction(own_factory) as s:
        order(s, "+6281234500001", 10001, 100_000)
    assert ga4.run(own_factory, make_settings("sqlite://", 1, ga4_measurement_id="G-X")) == 0
    assert states(own_factory) == {}
