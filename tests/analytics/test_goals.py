"""Conversion goals the owner defines besides orders, against a week computed by hand on the
real database (SQLite and PostgreSQL): a label put on the chat, phrases the customer writes
(typos tolerated); past days counted in slices by the background task and equal to a rebuild;
and on the live server, a goal defined through the API counted by the server's own worker and
shown on the dashboard with the chats behind it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import behind, breakdowns, goals, metrics, report, rollups
from niaga.analytics.periods import period_of
from niaga.contacts.models import Contact, Label
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.core.jobs.models import ScheduledJob
from niaga.inbox.models import Conversation, ConversationActivity, ConversationLabel, Message
from niaga.security.models import Team
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, wait_for
from tests.web.web_helpers import login, make_user

WIB = ZoneInfo("Asia/Jakarta")
ZONE = "Asia/Jakarta"
WEEK = period_of("week", date(2026, 11, 4), ZONE)  # Mon 2 – Sun 8 November


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def chats_with(s: Session, keys: str, base: int = 0) -> dict[str, Conversation]:
    chats = {}
    for n, key in enumerate(keys):
        contact = Contact(phone=f"+6281299900{base + n:02d}", wa_id=f"6281299900{base + n:02d}")
        s.add(contact)
        s.flush()
        chats[key] = Conversation(contact_id=contact.id, phone_number_id="1", status="open")
        s.add(chats[key])
    s.flush()
    return chats


def writes(s: Session, chat: Conversation, at: datetime, text: str, from_ad: bool = False) -> None:
    s.add(
        Message(
            conversation_id=chat.id,
            contact_id=chat.contact_id,
            direction="in",
            type="text",
            status="received",
            origin="customer",
            text=text,
            referral={"source_type": "ad", "source_url": "https://fb.me/x"} if from_ad else None,
            created_at=at,
            received_at=at,
        )
    )


def labelled(s: Session, chat: Conversation, label: Label, at: datetime) -> None:
    s.add(
        ConversationActivity(
            conversation_id=chat.id,
            kind="label_added",
            data={"label_id": label.id, "label": label.name},
            created_at=at,
        )
    )


@pytest.fixture
def week(own_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Four chats the customers wrote in; "Booking" put on A and B on Monday (B at 23:30 WIB,
    still Monday) and on A again on Tuesday; "Keluhan" on C; payments and a sign-up written
    with typos, and one that only looks like a payment."""
    with transaction(own_factory) as s:
        booking, complaint = Label(name="Booking"), Label(name="Keluhan")
        s.add_all([booking, complaint])
        s.flush()
        c = chats_with(s, "ABCD")
        sales = Team(name="Penjualan")
        s.add(sales)
        s.flush()
        c["A"].team_id = sales.id
        s.add(ConversationLabel(conversation_id=c["A"].id, label_id=booking.id))  # still on
        writes(s, c["A"], wib(2, 9), "Kak mau booking tgl 10")
        writes(s, c["A"], wib(4, 10), "Sudah transferr ya kak")
        writes(s, c["C"], wib(4, 11), "sdh transfer kak", from_ad=True)
        writes(s, c["C"], wib(4, 12), "Sudah transfer, cek ya")  # the same chat, same day
        writes(s, c["D"], wib(4, 13), "transfer sudah?")  # the words the wrong way round
        writes(s, c["B"], wib(5, 20), "kak aku mau daftar member dong")
        writes(s, c["C"], wib(1, 9), "sudah transfer")  # Sunday: the week before
        labelled(s, c["A"], booking, wib(2, 10))
        labelled(s, c["B"], booking, wib(2, 23, 30))
        labelled(s, c["A"], booking, wib(3, 9))  # removed and put on again: Tuesday too
        labelled(s, c["C"], complaint, wib(3, 9))
    rollups.refresh(own_factory, ZONE)
    return own_factory


def define(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as s:
        made = {
            "Booking": goals.do_create_goal(s, name="Booking", kind="label", label="booking"),
            "Bayar": goals.do_create_goal(
                s, name="Bayar", kind="phrase", phrases=["sudah transfer", " "]
            ),
            "Member": goals.do_create_goal(
                s, name="Member", kind="phrase", phrases=["daftar member"]
            ),
        }
        return {name: g.id for name, g in made.items()}


def test_goals_count_the_chats_that_reached_them_as_computed_by_hand(
    week: sessionmaker[Session],
) -> None:
    ids = define(week)
    with week() as s:
        queued = s.scalars(select(ScheduledJob).where(ScheduledJob.name == goals.COUNT_TASK))
        assert sorted(j.payload["goal_id"] for j in queued) == sorted(ids.values())
        assert not any(g["counted"] for g in goals.listed(s))
    for goal_id in ids.values():
        assert rollups.count_goal(week, goal_id, ZONE) is None
    with week() as s:
        summary = metrics.summary(s, WEEK)
        assert all(g["counted"] for g in goals.listed(s))
        assert goals.listed(s)[1]["phrases"] == ["sudah transfer"]
    got = {name: summary.goals[goal_id][1] for name, goal_id in ids.items()}
    # Customers wrote in 4 chats. Booking: A and B on Monday, A on Tuesday. Bayar: A and C on
    # Wednesday (C's two messages one chat; D's words the wrong way round not). Member: B.
    assert (got["Booking"].numerator, got["Booking"].denominator, got["Booking"].value) == (
        3,
        4,
        75.0,
    )
    assert (got["Bayar"].numerator, got["Bayar"].value) == (2, 50.0)
    assert (got["Member"].numerator, got["Member"].value) == (1, 25.0)
    with week() as s:
        data = report.build(s, WEEK)
        before = report.build(s, period_of("week", date(2026, 11, 1), ZONE))
    shown = {g["name"]: g for g in data["goals"]}
    assert shown["Booking"]["band"] == "good" and shown["Member"]["band"] == "good"
    # The week before: C wrote once, and it was a payment.
    assert (shown["Bayar"]["previous"], shown["Bayar"]["change_points"]) == (100.0, -50.0)
    assert {g["name"]: g["numerator"] for g in before["goals"]}["Bayar"] == 1
    with week() as s:
        # By team (the chat's when it reached the goal): Booking twice in Penjualan (A, on
        # Monday and Tuesday), once without a team (B). By source: C's payment came from an
        # ad that Wednesday; A's is a chat A started (3 of the 4 chats).
        teams = {r["name"]: r["goals"] for r in breakdowns.breakdown(s, WEEK, "team")}
        assert teams["Penjualan"][ids["Booking"]] == {"conversions": 2, "conversion_rate": 200.0}
        assert teams["—"][ids["Booking"]] == {"conversions": 1, "conversion_rate": 33.3}
        assert ids["Member"] in teams["—"] and ids["Member"] not in teams["Penjualan"]
        labelled_chats = {r["name"]: r for r in breakdowns.breakdown(s, WEEK, "label")}
        assert labelled_chats["Booking"]["chats"] == 1
        assert labelled_chats["Booking"]["goals"] == {
            ids["Booking"]: {"conversions": 2, "conversion_rate": 200.0},
            ids["Bayar"]: {"conversions": 1, "conversion_rate": 100.0},
        }
        sources = {r["source"]: r for r in breakdowns.breakdown(s, WEEK, "source")}
        assert sources["ad"]["chats"] == 1 and sources["conversation"]["chats"] == 3
        assert sources["ad"]["goals"][ids["Bayar"]] == {"conversions": 1, "conversion_rate": 100.0}
        assert sources["conversation"]["goals"][ids["Bayar"]]["conversion_rate"] == 33.3
        rows = behind.goal_rows(s, WEEK, s.get(goals.ConversionGoal, ids["Bayar"]))
        assert [r["what"] for r in rows] == [
            "Sudah transfer, cek ya",
            "sdh transfer kak",
            "Sudah transferr ya kak",
        ]
        assert rows[0]["who"] == "+628129990002" and rows[0]["detail"] == "sudah transfer"
        booked = behind.goal_rows(s, WEEK, s.get(goals.ConversionGoal, ids["Booking"]))
        assert len(booked) == 3 and booked[-1]["at"] == wib(2, 10)
    with week() as s:
        live = rollups.snapshot(s)
    rollups.rebuild(week, ZONE)
    with week() as s:
        assert rollups.snapshot(s) == live  # the task's counts equal the days cut again


def test_a_goals_past_days_are_counted_in_slices_and_a_deleted_goal_leaves_nothing(
    week: sessionmaker[Session],
) -> None:
    ids = define(week)
    goal_id = ids["Bayar"]
    start = None
    runs = 0
    while True:  # no time at all per run: one day each, then the task goes on from the next
        rest = rollups.count_goal(week, goal_id, ZONE, start, budget=0)
        runs += 1
        if rest is None:
            break
        assert start is None or rest == start + timedelta(days=1)
        start = rest
    today = rollups.local_day(clock.now(), ZONE)
    assert runs == (today - date(2026, 11, 1)).days + 1
    with week() as s:
        assert metrics.summary(s, WEEK).goals[goal_id][1].numerator == 2
    with transaction(week) as s:
        goals.do_delete_goal(s, goal_id)
    with week() as s:
        figures = rollups.snapshot(s)["figures"]
        assert not [k for k in figures if k[1] == goals.METRIC and k[2] == str(goal_id)]
    assert rollups.count_goal(week, goal_id, ZONE) is None  # a task left for it does nothing


def test_the_rollups_count_goals_on_the_days_they_cut(week: sessionmaker[Session]) -> None:
    """Once defined, a goal is counted with each day the rollups cut (today's label here)."""
    ids = define(week)
    for goal_id in ids.values():
        rollups.count_goal(week, goal_id, ZONE)
    with transaction(week) as s:
        chat = s.scalars(select(Conversation).order_by(Conversation.id)).first()
        assert chat is not None
        writes(s, chat, clock.now(), "sudah transfer kak")
        labelled(
            s, chat, s.scalars(select(Label).where(Label.name == "Booking")).one(), clock.now()
        )
    rollups.refresh(week, ZONE)
    today = period_of("day", rollups.local_day(clock.now(), ZONE), ZONE)
    with week() as s:
        found = metrics.summary(s, today).goals
    assert found[ids["Booking"]][1].numerator == 1 and found[ids["Bayar"]][1].numerator == 1
    assert found[ids["Member"]][1].value == 0.0


@pytest.mark.parametrize(
    ("asked", "code"),
    [
        ({"name": "X", "kind": "label", "label": "Tidak ada"}, "goal_label"),
        ({"name": "X", "kind": "phrase", "phrases": [" ", ""]}, "goal_phrases"),
        ({"name": "X", "kind": "phrase", "phrases": ["x" * 101]}, "goal_phrase_long"),
        ({"name": "X", "kind": "button"}, "goal_kind"),
        ({"name": "  ", "kind": "phrase", "phrases": ["a"]}, "goal_name"),
        ({"name": "booking", "kind": "phrase", "phrases": ["a"]}, "goal_exists"),
    ],
)
def test_a_goal_that_cannot_be_kept_is_refused(
    week: sessionmaker[Session], asked: dict[str, Any], code: str
) -> None:
    with transaction(week) as s:
        goals.do_create_goal(s, name="Booking", kind="label", label="Booking")
    with pytest.raises(DomainError) as refused, transaction(week) as s:
        goals.do_create_goal(s, **asked)
    assert refused.value.code == code


def test_the_owner_defines_a_goal_and_reads_it_on_the_dashboard(
    niaga: LiveServer, factory: Any
) -> None:
    """Through the API and the page; the server's own worker counts the past days."""
    now = clock.now()
    with transaction(factory) as s:
        label = Label(name="Booking")
        s.add(label)
        s.flush()
        c = chats_with(s, "AB")
        writes(s, c["A"], now - timedelta(minutes=5), "mau booking kak")
        writes(s, c["B"], now - timedelta(minutes=4), "halo")
        labelled(s, c["A"], label, now - timedelta(minutes=3))
    rollups.refresh(factory, ZONE)
    manager, reader = token(factory, "admin"), token(factory, "analyst")
    made = api(
        niaga,
        "POST",
        "/analytics/goals",
        manager,
        json={"name": "Booking", "kind": "label", "label": "Booking"},
    )
    assert made.status_code == 201, made.text
    goal_id = made.json()["id"]
    assert api(niaga, "POST", "/analytics/goals", reader, json={}).status_code == 403
    wrong = api(niaga, "POST", "/analytics/goals", manager, json={"name": "X", "kind": "label"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "goal_label"
    wait_for(lambda: api(niaga, "GET", "/analytics/goals", reader).json()[0]["counted"], timeout=30)
    body = api(niaga, "GET", "/analytics/summary?period=week", reader).json()
    assert [(g["name"], g["numerator"], g["denominator"], g["value"]) for g in body["goals"]] == [
        ("Booking", 1, 2, 50.0)
    ]
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/analytics").text
    assert f'data-goal="{goal_id}" data-band="good"' in page and "Konversi ke Booking" in page
    for by in ("team", "source"):  # the goal's column in the splits
        split = owner.get(f"/analytics?by={by}").text.split('id="split"')[1]
        assert f'<th data-goal="{goal_id}">Konversi ke Booking</th>' in split
        assert f'<td data-goal="{goal_id}">50.0% <span class="small muted">(1)</span>' in split
    chats = owner.get(f"/analytics/goals/{goal_id}/behind").text
    assert chats.count("<tr>") == 1 + 1 and "+628129990000" in chats
    assert owner.get("/analytics/goals/999/behind").status_code == 404
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    added = owner.post(
        "/analytics/goals",
        data={"csrf_token": csrf, "name": "Halo", "kind": "phrase", "phrases": "halo\nhai, hi"},
    )
    assert added.status_code == 303
    listed = api(niaga, "GET", "/analytics/goals", reader).json()
    assert listed[1]["phrases"] == ["halo", "hai", "hi"]
    gone = owner.post(f"/analytics/goals/{goal_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 303
    assert [g["name"] for g in api(niaga, "GET", "/analytics/goals", reader).json()] == ["Halo"]
    assert api(niaga, "DELETE", f"/analytics/goals/{goal_id}", manager).status_code == 404
