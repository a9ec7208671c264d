"""Segments against a hand-made shop: every kind of condition, negation and combination gives
exactly the customers a person would pick by hand; recipients are read in pages; the preview
fills every placeholder or says why a customer is skipped. Real SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation.models import CsatSurvey
from niaga.campaigns import personalise, segments
from niaga.campaigns.models import ChatLink, ChatLinkStart
from niaga.campaigns.personalise import ParameterValue
from niaga.campaigns.segments import SegmentRule
from niaga.contacts import consent
from niaga.contacts.models import Contact, ContactLabel, Label
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.loyalty import ledger
from niaga.orders.models import Order, OrderItem
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer

NOW = clock.now()


@pytest.fixture
def shop(own_factory: sessionmaker[Session]) -> dict[str, int]:
    """Six customers, each with a story:

    siti   VIP (contact label), Jakarta, 3 orders Rp600.000 (gamis), CSAT 5, consent granted,
           wrote an hour ago (window open), came through the Instagram link
    budi   chat labelled Keluhan, Bandung, 1 order Rp50.000 (hijab) 100 days ago, CSAT 2,
           opted out, wrote 40 days ago
    rina   came from an ad, no orders, consent never asked, wrote 2 days ago
    agus   1 cancelled order (gamis), wrote 10 days ago, VIP, consent granted
    dewi   received a campaign, 1 order Rp200.000 yesterday (kemeja), never wrote
    tono   no phone on WhatsApp (cannot be messaged): never in any segment
    """
    ids: dict[str, int] = {}
    numbers = iter(range(10001, 10100))
    with transaction(own_factory) as s:
        vip, keluhan = Label(name="VIP"), Label(name="Keluhan")
        link = ChatLink(code="IG7K2M", name="Bio", place="instagram", text="Halo")
        s.add_all([vip, keluhan, link])
        s.flush()

        def customer(name: str, n: int, wrote: timedelta | None, **attrs: Any) -> Contact:
            c = Contact(
                phone=f"+6281200000{n:03d}",
                wa_id=f"6281200000{n:03d}",
                display_name=name,
                attributes=attrs,
                last_inbound_at=NOW - wrote if wrote is not None else None,
            )
            s.add(c)
            s.flush()
            ids[name.split()[0].lower()] = c.id
            return c

        def chat(c: Contact) -> Conversation:
            conv = Conversation(contact_id=c.id, phone_number_id="106540352242922")
            s.add(conv)
            s.flush()
            return conv

        def order(c: Contact, total: int, sku: str, ago: timedelta, status: str = "baru") -> None:
            o = Order(
                number=next(numbers),
                contact_id=c.id,
                status=status,
                total=total,
                subtotal=total,
                created_at=NOW - ago,
            )
            s.add(o)
            s.flush()
            s.add(
                OrderItem(
                    order_id=o.id, sku=sku, name=sku, quantity=1, unit_price=total, line_total=total
                )
            )

        def message(c: Contact, conv: Conversation, **kw: Any) -> Message:
            fields: dict[str, Any] = {
                "type": "text",
                "text": "Halo",
                "status": "received",
                "origin": "customer",
                **kw,
            }
            m = Message(conversation_id=conv.id, contact_id=c.id, **fields)
            s.add(m)
            s.flush()
            return m

        siti = customer("Siti Rahma", 1, timedelta(hours=1), kota="Jakarta")
        s.add(ContactLabel(contact_id=siti.id, label_id=vip.id))
        conv = chat(siti)
        first = message(siti, conv, direction="in", text="Halo (Kode: IG7K2M)")
        s.add(ChatLinkStart(link_id=link.id, conversation_id=conv.id, message_id=first.id))
        for i in range(3):
            order(siti, 200_000, "GAMIS", timedelta(days=5 + i))
        s.add(CsatSurvey(conversation_id=conv.id, contact_id=siti.id, rating=5, answered_at=NOW))
        consent.do_record(s, siti, granted=True, source="import", proof="list")
        ledger.do_credit(s, siti.id, "earned", 120, expires_at=None)

        budi = customer("Budi", 2, timedelta(days=40), kota="Bandung")
        conv = chat(budi)
        s.add(ConversationLabel(conversation_id=conv.id, label_id=keluhan.id))
        order(budi, 50_000, "HIJAB", timedelta(days=100))
        s.add(CsatSurvey(conversation_id=conv.id, contact_id=budi.id, rating=2, answered_at=NOW))
        consent.do_record(s, budi, granted=False, source="chat", proof="STOP")
        old = ledger.do_credit(s, budi.id, "earned", 40, expires_at=None)
        assert old is not None
        old.created_at = NOW - timedelta(days=400)  # earned over a year ago: no level from it

        rina = customer("Rina", 3, timedelta(days=2))
        message(rina, chat(rina), direction="in", referral={"source_kind": "ad"})

        agus = customer("Agus", 4, timedelta(days=10))
        s.add(ContactLabel(contact_id=agus.id, label_id=vip.id))
        order(agus, 300_000, "GAMIS", timedelta(days=3), status="dibatalkan")
        consent.do_record(s, agus, granted=True, source="import", proof="list")

        dewi = customer("Dewi", 5, None)
        message(dewi, chat(dewi), direction="out", origin="campaign", status="sent")
        order(dewi, 200_000, "KEMEJA", timedelta(days=1))

        tono = Contact(phone="+6281200000006", display_name="Tono")  # no wa_id
        s.add(tono)
        s.flush()
        ids["tono"] = tono.id
    return ids


def who(factory: Any, ids: dict[str, int], *conditions: dict[str, Any]) -> set[str]:
    rule = SegmentRule.model_validate({"conditions": list(conditions)})
    names = {v: k for k, v in ids.items()}
    with factory() as s:
        found = {names[i] for i in segments.page(s, rule, limit=100)}
        assert segments.count(s, rule) == len(found)
    return found


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([], {"siti", "budi", "rina", "agus", "dewi"}),
        ([{"field": "label", "label": "VIP"}], {"siti", "agus"}),
        ([{"field": "label", "label": "Keluhan", "on": "conversation"}], {"budi"}),
        ([{"field": "label", "label": "Keluhan", "on": "contact"}], set()),
        ([{"field": "label", "label": "VIP", "negate": True}], {"budi", "rina", "dewi"}),
        ([{"field": "attribute", "key": "kota", "value": "jakarta"}], {"siti"}),
        ([{"field": "attribute", "key": "kota", "op": "contains", "value": "band"}], {"budi"}),
        ([{"field": "attribute", "key": "kota", "op": "exists"}], {"siti", "budi"}),
        ([{"field": "last_message", "days": 7}], {"siti", "rina"}),
        ([{"field": "last_message", "op": "older_than_days", "days": 30}], {"budi", "dewi"}),
        ([{"field": "orders", "measure": "count", "at_least": 1}], {"siti", "budi", "dewi"}),
        ([{"field": "orders", "measure": "count", "at_most": 0}], {"rina", "agus"}),
        ([{"field": "orders", "measure": "total", "at_least": 500_000}], {"siti"}),
        ([{"field": "orders", "measure": "last_within_days", "days": 30}], {"siti", "dewi"}),
        ([{"field": "orders", "measure": "last_older_than_days", "days": 30}], {"budi"}),
        ([{"field": "bought", "skus": ["GAMIS", "KEMEJA"]}], {"siti", "dewi"}),
        ([{"field": "source", "source": "link"}], {"siti"}),
        ([{"field": "source", "source": "link", "link_code": "ig7k2m"}], {"siti"}),
        ([{"field": "source", "source": "link", "link_code": "XXXXXX"}], set()),
        ([{"field": "source", "source": "ad"}], {"rina"}),
        ([{"field": "source", "source": "campaign"}], {"dewi"}),
        ([{"field": "csat", "at_least": 4}], {"siti"}),
        ([{"field": "csat", "at_most": 3}], {"budi"}),
        ([{"field": "consent", "state": "granted"}], {"siti", "agus"}),
        ([{"field": "consent", "state": "withdrawn"}], {"budi"}),
        ([{"field": "consent", "state": "unknown"}], {"rina", "dewi"}),
        ([{"field": "window_open"}], {"siti"}),
        ([{"field": "points", "at_least": 100}], {"siti"}),
        ([{"field": "points", "at_least": 1}], {"siti", "budi"}),
        ([{"field": "points", "measure": "earned_12m", "at_least": 1}], {"siti"}),
        ([{"field": "points", "at_most": 0}], {"rina", "agus", "dewi"}),
        (
            [
                {"field": "label", "label": "VIP"},
                {"field": "orders", "measure": "count", "at_least": 1},
                {"field": "consent", "state": "granted"},
            ],
            {"siti"},
        ),
    ],
)
def test_each_condition_picks_the_customers_a_person_would(
    own_factory: Any, shop: dict[str, int], conditions: list[dict[str, Any]], expected: set[str]
) -> None:
    assert who(own_factory, shop, *conditions) == expected


def test_recipients_are_read_in_pages(own_factory: Any, shop: dict[str, int]) -> None:
    with own_factory() as s:
        pages = list(segments.stream(s, SegmentRule(), size=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(i for p in pages for i in p) == sorted(v for k, v in shop.items() if k != "tono")


def test_the_preview_fills_every_placeholder_or_says_who_is_skipped(
    own_factory: Any, shop: dict[str, int]
) -> None:
    body = "Hai {{nama}}! Pesanan terakhir {{pesanan}} di {{kota}}."
    params = {
        "nama": ParameterValue(source="first_name"),
        "pesanan": ParameterValue(source="last_order", fallback="kakak"),
        "kota": ParameterValue(source="attribute", key="kota", if_missing="skip"),
    }
    with own_factory() as s:
        filled = {
            f.name: f
            for f in personalise.fill(s, [shop["siti"], shop["rina"]], [None, body], params)
        }
    assert filled["Siti Rahma"].text is not None
    assert filled["Siti Rahma"].text.startswith("Hai Siti! Pesanan terakhir #")
    assert filled["Siti Rahma"].text.endswith("di Jakarta.")
    assert filled["Rina"].text is None and filled["Rina"].skipped == "no value for {{kota}}"


def test_segments_through_the_api(niaga: LiveServer, factory: Any) -> None:
    admin = token(factory, "admin")
    with transaction(factory) as s:
        for n in range(3):
            s.add(
                Contact(
                    phone=f"+628123450{n:04d}",
                    wa_id=f"628123450{n:04d}",
                    display_name=f"Pelanggan {n}",
                    attributes={"kota": "Depok"},
                )
            )
    rule = {"conditions": [{"field": "attribute", "key": "kota", "value": "Depok"}]}
    assert api(niaga, "POST", "/segments/count", admin, json=rule).json() == {"count": 3}
    r = api(niaga, "POST", "/segments", admin, json={"name": "Depok", "rule": rule})
    assert r.status_code == 201 and r.json()["count"] == 3
    again = api(niaga, "POST", "/segments", admin, json={"name": "Depok", "rule": rule})
    assert again.status_code == 409 and again.json()["field"] == "name"
    preview = api(
        niaga,
        "POST",
        "/segments/preview",
        token(factory, "analyst"),
        json={
            "rule": rule,
            "definition": {"name": "x", "language": "id", "body": "Hai {{nama}}, promo!"},
            "params": {"nama": {"source": "name"}},
            "limit": 2,
        },
    ).json()
    assert preview["count"] == 3
    assert [p["text"] for p in preview["recipients"]] == [
        "Hai Pelanggan 0, promo!",
        "Hai Pelanggan 1, promo!",
    ]
    bad = api(
        niaga,
        "POST",
        "/segments/count",
        admin,
        json={"conditions": [{"field": "shoe_size", "value": 42}]},
    )
    assert bad.status_code == 422
    assert api(niaga, "DELETE", f"/segments/{r.json()['id']}", admin).status_code == 204
