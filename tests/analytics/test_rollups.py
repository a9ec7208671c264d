"""The daily rollups equal a from-scratch recomputation, whatever order Meta's webhooks come
in and however often they repeat: customers' messages and statuses (delivered, read, failed
with Meta's code, billable pricing) spread over days long past, around midnight in Jakarta,
processed by the real intake in random chunks with refreshes between them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import chat_counts, counting, goals, metrics, origins, rollups
from niaga.analytics.models import RollupState
from niaga.analytics.periods import period_of
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from niaga.orders.models import Order
from tests import factories
from tests.intake import drain, store

WIB = ZoneInfo("Asia/Jakarta")
# Sixty days back: past "today and yesterday" and the hourly settling of the last 35 days,
# so only the marking of changed days can bring them up to date.
BASE = datetime.now(WIB).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=60)
CUSTOMERS = [f"62812777{n:04d}" for n in range(6)]
ZONE = "Asia/Jakarta"


def refresh(factory: sessionmaker[Session], zone: str = ZONE) -> list[Any]:
    """A round of the rollups without re-reading ids already seen: the days come from the
    marking alone (the margin would re-read every row of so small a shop)."""
    return rollups.refresh(factory, zone, margin=0)


def ts(at: datetime) -> int:
    return int(at.timestamp())


def instants(rng: random.Random, n: int) -> list[datetime]:
    """Times over four days, a share of them in the half hour around midnight WIB."""
    out = []
    for _ in range(n):
        day = BASE + timedelta(days=rng.randrange(4))
        if rng.random() < 0.4:
            at = day + timedelta(hours=24) + timedelta(minutes=rng.randrange(-30, 30))
        else:
            at = day + timedelta(minutes=rng.randrange(24 * 60))
        out.append(at.astimezone(UTC))
    return out


def sent_messages(factory: sessionmaker[Session], rng: random.Random) -> list[tuple[str, str]]:
    """Messages the business sent (as the outbox leaves them: accepted, with a wamid), half
    of them templates; (wamid, customer)."""
    out = []
    with transaction(factory) as s:
        rows = s.execute(
            select(Contact.wa_id, Conversation).join(
                Conversation, Conversation.contact_id == Contact.id
            )
        ).all()
        chats = {wa_id: chat for wa_id, chat in rows}
        for n, at in enumerate(instants(rng, 30)):
            customer = rng.choice(sorted(chats))
            chat = chats[customer]
            wamid = f"wamid.OUT{n:04d}"
            s.add(
                Message(
                    conversation_id=chat.id,
                    contact_id=chat.contact_id,
                    direction="out",
                    wamid=wamid,
                    type="template" if n % 2 else "text",
                    status="sent",
                    origin="campaign",
                    created_at=at,
                    received_at=at,
                )
            )
            out.append((wamid, customer))
    return out


def events(rng: random.Random, sent: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Customers' messages and statuses for the sent ones, some twice, in random order."""
    out: list[dict[str, Any]] = []
    for n, at in enumerate(instants(rng, 40)):
        said = "Sudah transfer kak" if n % 3 == 0 else "Halo kak"  # a goal's phrase, or not
        out.append(
            factories.text_message(
                f"wamid.IN{n:04d}", wa_id=rng.choice(CUSTOMERS), body=said, ts=ts(at)
            )
        )
    billable = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
    for wamid, customer in sent:
        at = BASE + timedelta(days=5)
        for status in rng.sample(["delivered", "read", "failed"], k=rng.randrange(1, 3)):
            errors = [{"code": 131026, "title": "Message undeliverable"}]
            out.append(
                factories.status(
                    wamid,
                    status,
                    ts=ts(at),
                    recipient=customer,
                    errors=errors if status == "failed" else None,
                    pricing=billable if status != "failed" else None,
                )
            )
    out += rng.sample(out, k=len(out) // 3)  # Meta delivers at least once
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_a_rebuild_after_any_order_and_repeats(
    own_factory: sessionmaker[Session], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    intake = own_factory
    # Every customer writes once first, so the business has a chat to send in.
    store(
        intake, *(factories.text_message(f"wamid.HI{c}", wa_id=c, ts=ts(BASE)) for c in CUSTOMERS)
    )
    drain(own_factory)
    refresh(own_factory)
    with transaction(own_factory) as s:  # a goal the rollups count with each day they cut
        goals.do_create_goal(s, name="Bayar", kind="phrase", phrases=["sudah transfer"])
    sent = sent_messages(own_factory, rng)
    pending = events(rng, sent)
    while pending:
        chunk, pending = pending[: rng.randrange(1, 12)], pending[12:]
        store(intake, *chunk)
        drain(own_factory)
        if rng.random() < 0.5:
            refresh(own_factory)
    refresh(own_factory)
    with own_factory() as s:
        live = rollups.snapshot(s)
        with_state = s.get(RollupState, 1)
        assert with_state is not None and with_state.zone == ZONE
    figures = live["figures"]
    # The data reaches every kind of figure, so a missed day would show.
    for metric in ("accepted", "read", "received", "templates", "templates_answered", "billable"):
        assert any(m == metric for _, m, _ in figures), metric
    assert any(m == "failed" and k == "131026" for _, m, k in figures)
    assert any(m == goals.METRIC for _, m, _ in figures)
    # The rebuild reads replies to templates by time alone, as on a busy day: the same.
    monkeypatch.setattr(counting, "MANY_CHATS", 0)
    rollups.rebuild(own_factory, ZONE)
    with own_factory() as s:
        assert rollups.snapshot(s) == live


def test_a_status_for_a_message_of_long_ago_moves_its_day(
    own_factory: sessionmaker[Session],
) -> None:
    """A read receipt arriving weeks later is counted on the day the message was sent."""
    intake = own_factory
    store(intake, factories.text_message("wamid.HIold", wa_id=CUSTOMERS[0], ts=ts(BASE)))
    drain(own_factory)
    sent = sent_messages(own_factory, random.Random(7))
    refresh(own_factory)
    wamid, customer = sent[0]
    with own_factory() as s:
        message = s.scalar(select(Message).where(Message.wamid == wamid))
        assert message is not None
        day = rollups.local_day(message.created_at, ZONE)
        before = rollups.sums(s, day, day)["read", ""]
    store(
        intake,
        factories.status(wamid, "read", ts=ts(BASE + timedelta(days=40)), recipient=customer),
    )
    drain(own_factory)
    assert day not in refresh(own_factory)[-2:]  # not merely today/yesterday
    with own_factory() as s:
        assert rollups.sums(s, day, day)["read", ""] == before + 1
        week = metrics.summary(s, period_of("day", day, ZONE))
        assert week.figures["read"].value == before + 1


def test_another_time_zone_cuts_the_days_again(own_factory: sessionmaker[Session]) -> None:
    """23:30 WIB is 16:30 UTC the same day, but 01:30 the next day in Papua (WIT)."""
    intake = own_factory
    late = (BASE + timedelta(hours=23, minutes=30)).astimezone(UTC)
    store(intake, factories.text_message("wamid.LATE", wa_id=CUSTOMERS[1], ts=ts(late)))
    drain(own_factory)
    wib_day = BASE.date()
    refresh(own_factory)
    with own_factory() as s:
        assert rollups.sums(s, wib_day, wib_day)["received", ""] == 1
    refresh(own_factory, "Asia/Jayapura")
    with own_factory() as s:
        assert rollups.sums(s, wib_day, wib_day)["received", ""] == 0
        next_day = wib_day + timedelta(days=1)
        assert rollups.sums(s, next_day, next_day)["received", ""] == 1
        assert rollups.chats(s, next_day, next_day) == 1


def test_the_refresh_leaves_a_day_whole_when_nothing_moved(
    own_factory: sessionmaker[Session],
) -> None:
    """A refresh with nothing new recomputes only today and yesterday."""
    clock.reset()
    refresh(own_factory)
    days = refresh(own_factory)
    today = rollups.local_day(clock.now(), ZONE)
    assert days == [today - timedelta(days=1), today]


def test_a_late_message_moves_the_new_chats_of_the_later_days(
    own_factory: sessionmaker[Session],
) -> None:
    """Distinct chats of a week or month are sums of each day's chats new in it: a message
    stored late on an earlier day makes a later day's chat not new any more."""
    intake = own_factory
    month = period_of("month", (BASE - timedelta(days=40)).date(), ZONE)
    week = period_of("week", month.first + timedelta(days=14), ZONE)
    tuesday, thursday = week.first + timedelta(days=1), week.first + timedelta(days=3)
    earlier_week = week.first - timedelta(days=5)  # the same month, the week before
    if earlier_week < month.first:
        earlier_week = month.first
    at = {
        d: datetime.combine(d, datetime.min.time(), WIB) + timedelta(hours=10)
        for d in (tuesday, thursday, earlier_week)
    }
    customer = CUSTOMERS[2]
    store(intake, factories.text_message("wamid.THU", wa_id=customer, ts=ts(at[thursday])))
    drain(own_factory)
    refresh(own_factory)
    with own_factory() as s:
        assert rollups.chats(s, week.first, week.last) == 1
        assert rollups.chats(s, month.first, month.last) == 1
    # Tuesday's message of the same chat arrives after Thursday was cut, then one of the
    # week before: the chat stays one chat in the week and in the month.
    # Tuesday's came from an ad: the chat counts under the ad in the week and the month.
    for wamid, day in (("wamid.TUE", tuesday), ("wamid.EARLY", earlier_week)):
        store(intake, factories.text_message(wamid, wa_id=customer, ts=ts(at[day])))
        drain(own_factory)
        if day == tuesday:
            with transaction(own_factory) as s:
                late = s.scalars(select(Message).where(Message.wamid == wamid)).one()
                late.referral = {"source_url": "https://fb.me/x", "source_type": "ad"}
        assert thursday not in refresh(own_factory)  # Thursday itself is not cut again
        with own_factory() as s:
            assert rollups.chats(s, week.first, week.last) == 1
            assert rollups.chats(s, month.first, month.last) == 1
            assert rollups.chats(s, tuesday, thursday) == 1  # another span: from the chat days
            for first, last in ((week.first, week.last), (month.first, month.last)):
                assert chat_counts.by_source(s, first, last) == {"ad": 1}
                assert [
                    (r["source"], r["chats"])
                    for r in origins.by_source(
                        s, period_of("week", first, ZONE) if last == week.last else month
                    )
                ] == [("ad", 1)]
    with own_factory() as s:
        live = rollups.snapshot(s)
    rollups.rebuild(own_factory, ZONE)
    with own_factory() as s:
        assert rollups.snapshot(s) == live


def test_a_cancelled_first_order_moves_the_new_customer_to_the_next_order(
    own_factory: sessionmaker[Session],
) -> None:
    """A customer is new on the day of their first order that counts: cancelling it moves
    them to the day of their next one, and an order put in before it takes them back."""
    intake = own_factory
    store(intake, factories.text_message("wamid.BUY", wa_id=CUSTOMERS[3], ts=ts(BASE)))
    drain(own_factory)
    first_day, next_day = BASE + timedelta(days=2, hours=10), BASE + timedelta(days=9, hours=10)
    with transaction(own_factory) as s:
        chat = s.scalars(select(Conversation)).one()
        orders = [
            Order(
                number=20000 + n,
                contact_id=chat.contact_id,
                conversation_id=chat.id,
                status="baru",
                total=100_000,
                created_at=at.astimezone(UTC),
                updated_at=clock.now() - timedelta(hours=1),  # long before the next rounds
            )
            for n, at in enumerate((first_day, next_day))
        ]
        s.add_all(orders)
    refresh(own_factory)

    def new_on() -> tuple[int, int]:
        with own_factory() as s:
            return tuple(  # type: ignore[return-value]
                rollups.sums(s, d.date(), d.date())["new_customers", ""]
                for d in (first_day, next_day)
            )

    assert new_on() == (1, 0)
    with transaction(own_factory) as s:
        s.get(Order, orders[0].id).status = "dibatalkan"  # type: ignore[union-attr]
    refresh(own_factory)
    assert new_on() == (0, 1)
    earliest = BASE + timedelta(days=1, hours=10)
    with transaction(own_factory) as s:
        chat = s.scalars(select(Conversation)).one()
        s.add(
            Order(
                number=20009,
                contact_id=chat.contact_id,
                conversation_id=chat.id,
                status="baru",
                total=50_000,
                created_at=earliest.astimezone(UTC),
            )
        )
    refresh(own_factory)
    assert new_on() == (0, 0)
    with own_factory() as s:
        assert rollups.sums(s, earliest.date(), earliest.date())["new_customers", ""] == 1
        live = rollups.snapshot(s)
    rollups.rebuild(own_factory, ZONE)
    with own_factory() as s:
        assert rollups.snapshot(s) == live
