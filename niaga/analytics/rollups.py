"""Daily rollups: each local day's additive figures and active chats, cut from the raw records
so reports never scan messages.

A day is always recomputed whole from what the domains recorded (never incremented), so a
duplicated or reordered event cannot skew it: the rollups equal a rebuild by construction, as
long as every changed day is recomputed. :func:`refresh` finds those days from

- messages stored since the last round (their day; for a customer's message also the day
  before, whose templates it may answer);
- status events stored since then (the day of the message they move);
- orders changed since then (the day they were made);
- today and yesterday every round (a send that failed without a status, a click, a reply);
- the last :data:`SETTLE_DAYS` days every :data:`SETTLE_EVERY` (anything else late).

Ids are re-read :data:`MARGIN` back, so a row whose transaction committed after a later id
was seen is not missed. The rollups are cut in one time zone; another zone rebuilds them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import chat_counts, dimensions, goals, sentiment, timing
from niaga.analytics.counting import (
    ACCEPTED,
    CANCELLED,
    DELIVERED,
    READ,
    REPLY_WINDOW,
    answered_within,
)
from niaga.analytics.models import (
    ChatDay,
    ConversionGoal,
    DailyFigure,
    PeriodCount,
    ResolutionTime,
    ResponseWait,
    RollupState,
)
from niaga.analytics.periods import EARLIEST, Period, period_of
from niaga.automation import hours
from niaga.automation.models import ResponseSample
from niaga.automation.profile import load_profile
from niaga.campaigns import pricing
from niaga.campaigns.models import CampaignRecipient
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, ConversationActivity, Message, MessageStatusEvent
from niaga.inbox.statuses import chunks
from niaga.orders.models import Order

MARGIN = 10_000
ORDER_OVERLAP = timedelta(minutes=10)
SETTLE_DAYS = 35
SETTLE_EVERY = timedelta(hours=1)
CUSTOMER = chat_counts.CUSTOMER  # ChatDay.user_id of the customer writing in
RESOLUTION_LOOKBACK = timedelta(days=365)
# What is kept per local day (replaced whole when the day is cut) and per ended period.
DAY_TABLES = (DailyFigure, ChatDay, ResponseWait, ResolutionTime)
ALL_TABLES = (*DAY_TABLES, PeriodCount)
_LOCK = 7_306_251  # PostgreSQL advisory lock: one writer of the rollups at a time
_STATE = 1


@dataclass
class Day:
    """One day's figures, as they are stored."""

    figures: Counter[tuple[str, str]] = field(default_factory=Counter)
    chats: set[tuple[int, int]] = field(default_factory=set)  # (user id or 0, conversation)
    waits: list[dict[str, Any]] = field(default_factory=list)  # first responses answered
    sources: dict[int, str] = field(default_factory=dict)  # where the day's chats came from
    resolutions: list[dict[str, Any]] = field(default_factory=list)  # chats resolved
    chats_changed: bool = False  # other chats (or sources) than were stored for the day


def local_day(at: datetime, zone: str) -> date:
    """The business's date at the instant ``at``."""
    return clock.as_utc(at).astimezone(ZoneInfo(zone)).date()


def compute_day(session: Session, day: date, zone: str) -> Day:
    """``day``'s figures from the raw records (the business's local day in ``zone``)."""
    p = period_of("day", day, zone)
    out = Day()
    add = out.figures.update
    in_day = and_(Message.created_at >= p.start, Message.created_at < p.end)
    for status, code, n in session.execute(
        select(Message.status, Message.error_code, func.count())
        .where(Message.direction == "out", in_day)
        .group_by(Message.status, Message.error_code)
    ):
        n = int(n)
        for metric, statuses in (("accepted", ACCEPTED), ("delivered", DELIVERED), ("read", READ)):
            if status in statuses:
                add({(metric, ""): n})
        if status == "failed":
            add({("failed", str(code or "unknown")): n})
    received = session.scalar(
        select(func.count()).select_from(Message).where(Message.direction == "in", in_day)
    )
    add({("received", ""): int(received or 0)})
    templates = session.execute(
        select(Message.conversation_id, Message.created_at, Message.status, Message.content).where(
            Message.direction == "out",
            Message.type == "template",
            Message.status.in_(ACCEPTED),
            in_day,
        )
    ).all()
    answered = answered_within(session, p, [(c, at) for c, at, _, _ in templates])
    add({("templates", ""): len(templates)})
    add({("templates_answered", ""): sum(answered)})
    dimensions.templates(
        out.figures,
        [(status, str((content or {}).get("name") or "")) for _, _, status, content in templates],
        answered,
    )
    dimensions.groups(session, p, out.figures)
    out.sources = dimensions.origins(session, p, out.figures)
    add(_billable(session, in_day))
    out.chats.update(
        (CUSTOMER, int(c))
        for (c,) in session.execute(
            select(Message.conversation_id).where(Message.direction == "in", in_day).distinct()
        )
    )
    out.chats.update(
        (int(u), int(c))
        for u, c in session.execute(
            select(Message.sent_by_user_id, Message.conversation_id)
            .where(Message.direction == "out", Message.sent_by_user_id.is_not(None), in_day)
            .distinct()
        )
    )
    written = goals.written_in(session, p.start, p.end)
    _tone(written, out)
    out.figures.update(goals.day_counts(session, p, written, goals.all_goals(session), out.sources))
    _waits(session, p, day, out)
    _resolutions(session, p, day, out)
    dimensions.orders(session, p, out.figures)
    r = CampaignRecipient
    sent, clicked = session.execute(
        select(func.count(), func.count(r.clicked_at)).where(
            r.state == "sent", r.sent_at >= p.start, r.sent_at < p.end
        )
    ).one()
    add({("recipients_sent", ""): int(sent), ("recipients_clicked", ""): int(clicked)})
    return out


def _billable(session: Session, in_day: Any) -> Counter[tuple[str, str]]:
    """The day's messages Meta reported billable, per (calling code, category), as
    :func:`pricing.billable` counts them, grouped in the database by what decides: the
    number's first digits (calling codes have at most three), the category and the flag."""
    prefix = func.coalesce(func.substr(Contact.phone, 1, 4), func.substr(Contact.wa_id, 1, 3))
    category = Message.pricing["category"].as_string()
    flag = Message.pricing["billable"].as_boolean()
    grouped = session.execute(
        select(prefix, category, flag, func.count())
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.direction == "out", Message.pricing.is_not(None), in_day)
        .group_by(prefix, category, flag)
    )
    out: Counter[tuple[str, str]] = Counter()
    for digits, kind, billable, n in grouped:
        pricing_seen = {"category": kind, "billable": None if billable is None else bool(billable)}
        for (country, cat), counted in pricing.billable([(digits, None, pricing_seen)]).items():
            out["billable", f"{country}|{cat}"] += counted * int(n)
    return out


def _tone(written: list[tuple[int, str]], out: Day) -> None:
    """The tone of the customers' written messages of the day (:mod:`sentiment`), in all and
    for each person who answered that chat that day."""
    answered: dict[int, list[int]] = {}
    for user_id, conversation_id in out.chats:
        if user_id != CUSTOMER:
            answered.setdefault(conversation_id, []).append(user_id)
    for conversation_id, said in written:
        tone = sentiment.label(said)
        out.figures["tone", tone] += 1
        for user_id in answered.get(conversation_id, ()):
            out.figures["tone_agent", f"{user_id}|{tone}"] += 1


def _waits(session: Session, p: Period, day: date, out: Day) -> None:
    """The day's first responses, with their wait in the business's opening hours."""
    samples = session.execute(
        select(
            ResponseSample.id,
            ResponseSample.user_id,
            Conversation.team_id,  # the chat's team when the day is cut, as for messages
            ResponseSample.conversation_id,
            ResponseSample.seconds,
            ResponseSample.created_at,
        )
        .join(Conversation, Conversation.id == ResponseSample.conversation_id)
        .where(ResponseSample.created_at >= p.start, ResponseSample.created_at < p.end)
    ).all()
    if not samples:
        return
    profile = load_profile(session)
    for sample_id, user_id, team_id, conversation_id, seconds, answered in samples:
        at = clock.as_utc(answered)
        business = hours.open_seconds(
            profile.hours,
            profile.holidays,
            profile.timezone,
            at - timedelta(seconds=float(seconds)),
            at,
        )
        out.waits.append(
            {
                "sample_id": int(sample_id),
                "day": day,
                "user_id": user_id,
                "team_id": team_id,
                "conversation_id": int(conversation_id),
                "seconds": float(seconds),
                "business_seconds": float(business),
            }
        )


def _resolutions(session: Session, p: Period, day: date, out: Day) -> None:
    """The chats resolved that day, each timed from the customer's first message after the
    chat's previous resolution (none since: nothing to time). Looks back a year at most."""
    a = ConversationActivity
    resolved = [
        (int(i), int(c), clock.as_utc(at), team)
        for i, c, at, data, team in session.execute(
            select(a.id, a.conversation_id, a.created_at, a.data, Conversation.team_id)
            .join(Conversation, Conversation.id == a.conversation_id)
            .where(a.kind == "status", a.created_at >= p.start, a.created_at < p.end)
        )
        if (data or {}).get("status") == "resolved"
    ]
    if not resolved:
        return
    since = p.start - RESOLUTION_LOOKBACK
    chats = sorted({c for _, c, _, _ in resolved})
    earlier: dict[int, list[datetime]] = {}
    written: dict[int, list[datetime]] = {}
    for part in chunks(chats):
        for c, at, data in session.execute(
            select(a.conversation_id, a.created_at, a.data).where(
                a.conversation_id.in_(part), a.kind == "status", a.created_at >= since
            )
        ):
            if (data or {}).get("status") == "resolved":
                earlier.setdefault(int(c), []).append(clock.as_utc(at))
        for c, at in session.execute(
            select(Message.conversation_id, Message.created_at).where(
                Message.conversation_id.in_(part),
                Message.direction == "in",
                Message.created_at >= since,
                Message.created_at < p.end,
            )
        ):
            written.setdefault(int(c), []).append(clock.as_utc(at))
    for times in (*earlier.values(), *written.values()):
        times.sort()
    profile = load_profile(session)
    for activity_id, c, at, team in resolved:
        before = [t for t in earlier.get(c, []) if t < at]
        after = before[-1] if before else since
        start = next((t for t in written.get(c, []) if after < t <= at), None)
        if start is None:
            continue
        business = hours.open_seconds(profile.hours, profile.holidays, profile.timezone, start, at)
        out.resolutions.append(
            {
                "activity_id": activity_id,
                "day": day,
                "conversation_id": c,
                "team_id": team,
                "seconds": (at - start).total_seconds(),
                "business_seconds": float(business),
            }
        )


def _lock(session: Session) -> None:
    """One writer of the rollups at a time (SQLite's write lock already is one)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})


def store_day(factory: sessionmaker[Session], day: date, zone: str) -> Day:
    """Recompute ``day`` and replace what is stored for it, in one transaction."""
    with transaction(factory) as s:
        _lock(s)
        figures = compute_day(s, day, zone)
        stored = {
            (int(u), int(c), str(src))
            for u, c, src in s.execute(
                select(ChatDay.user_id, ChatDay.conversation_id, ChatDay.source).where(
                    ChatDay.day == day
                )
            )
        }
        for table in DAY_TABLES:
            s.execute(delete(table).where(table.day == day))
        if figures.resolutions:
            s.execute(insert(ResolutionTime), figures.resolutions)
        if figures.waits:
            s.execute(insert(ResponseWait), figures.waits)
        chats = [
            {
                "day": day,
                "user_id": u,
                "conversation_id": c,
                "source": figures.sources.get(c, "") if u == CUSTOMER else "",
            }
            for u, c in figures.chats
        ]
        if chats:
            s.execute(insert(ChatDay), chats)
        figures.chats_changed = stored != {
            (r["user_id"], r["conversation_id"], r["source"]) for r in chats
        }
        figures.figures.update(chat_counts.count(s, day))
        _put_figures(s, day, figures.figures)
    return figures


def _put_figures(session: Session, day: date, figures: Counter[tuple[str, str]]) -> None:
    """Store ``day``'s figures (those not zero); the caller deleted what they replace."""
    rows = [{"day": day, "metric": m, "key": k, "value": v} for (m, k), v in figures.items() if v]
    if rows:
        session.execute(insert(DailyFigure), rows)


def _recount_chats(session: Session, day: date) -> None:
    """Count ``day``'s new chats of its week and month again (an earlier day changed)."""
    session.execute(
        delete(DailyFigure).where(
            DailyFigure.day == day, DailyFigure.metric.in_(chat_counts.METRICS)
        )
    )
    _put_figures(session, day, chat_counts.count(session, day))


def _first_day(session: Session, zone: str) -> date | None:
    """The business's first day with a record the rollups count."""
    firsts = [
        session.scalar(select(func.min(Message.created_at))),
        session.scalar(select(func.min(Order.created_at))),
        session.scalar(select(func.min(CampaignRecipient.sent_at))),
    ]
    known = [local_day(at, zone) for at in firsts if at is not None]
    return max(min(known), EARLIEST) if known else None


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class _Tops:
    message_id: int
    status_event_id: int
    now: datetime


def _tops(session: Session) -> _Tops:
    return _Tops(
        int(session.scalar(select(func.max(Message.id))) or 0),
        int(session.scalar(select(func.max(MessageStatusEvent.id))) or 0),
        clock.now(),
    )


def _touched(
    session: Session, state: RollupState, tops: _Tops, zone: str, margin: int
) -> set[date]:
    """The days that messages, status events and orders stored since ``state`` touch."""
    days: set[date] = set()
    for at, direction in session.execute(
        select(Message.created_at, Message.direction).where(
            Message.id > state.message_id - margin, Message.id <= tops.message_id
        )
    ):
        day = local_day(at, zone)
        days.add(day)
        if direction == "in":  # it may answer a template of the 24 hours before
            days.update(_span(local_day(clock.as_utc(at) - REPLY_WINDOW, zone), day))
    e = MessageStatusEvent
    for (at,) in session.execute(
        select(Message.created_at)
        .join(e, e.wamid == Message.wamid)
        .where(e.id > state.status_event_id - margin, e.id <= tops.status_event_id)
    ):
        days.add(local_day(at, zone))
    since = (state.orders_changed_at or tops.now) - ORDER_OVERLAP
    changed = session.execute(
        select(Order.id, Order.contact_id, Order.created_at, Order.status).where(
            Order.updated_at >= since
        )
    ).all()
    days.update(local_day(at, zone) for _, _, at, _ in changed)
    days |= _first_orders_moved(session, changed, zone)
    return days


def _first_orders_moved(session: Session, changed: Sequence[Any], zone: str) -> set[date]:
    """The days whose new customers the changed orders may move: a customer counts as new on
    the day of their first order (cancelled ones left out). A cancelled order at or before
    the first one may have been the first (the first's day gains them); an order that is
    now the first takes it from the one after it (that day loses them)."""
    contacts = sorted({int(c) for _, c, _, _ in changed})
    firsts: dict[int, list[tuple[int, datetime]]] = {}
    for part in chunks(contacts):
        for order_id, contact_id, at in session.execute(
            select(Order.id, Order.contact_id, Order.created_at)
            .where(Order.contact_id.in_(part), Order.status != CANCELLED)
            .order_by(Order.contact_id, Order.created_at, Order.id)
        ):
            kept = firsts.setdefault(int(contact_id), [])
            if len(kept) < 2:
                kept.append((int(order_id), clock.as_utc(at)))
    days: set[date] = set()
    for order_id, contact_id, at, status in changed:
        kept = firsts.get(int(contact_id), [])
        if status == CANCELLED and kept and clock.as_utc(at) <= kept[0][1]:
            days.add(local_day(kept[0][1], zone))
        elif kept and kept[0][0] == order_id and len(kept) > 1:
            days.add(local_day(kept[1][1], zone))
    return days


def refresh(factory: sessionmaker[Session], zone: str, margin: int = MARGIN) -> list[date]:
    """Recompute every day changed since the last round (all of them the first time or in
    another time zone); the days recomputed, in order. ``margin``: how many ids back to look
    again for rows committed late."""
    with factory() as s:
        state = s.get(RollupState, _STATE)
        tops = _tops(s)
        today = local_day(tops.now, zone)
        settle = False
        if state is None or state.zone != zone:
            first = _first_day(s, zone)
            days = set(_span(first, today)) if first else set()
        else:
            days = _touched(s, state, tops, zone, margin) | {today, today - timedelta(days=1)}
            settle = state.settled_at is None or tops.now - state.settled_at >= SETTLE_EVERY
            if settle:
                days |= set(_span(today - timedelta(days=SETTLE_DAYS - 1), today))
    ordered = sorted(d for d in days if EARLIEST <= d <= today)
    later: set[date] = set()
    for day in ordered:
        if store_day(factory, day, zone).chats_changed:
            later |= chat_counts.later_days(day, today)
    for day in sorted(later - set(ordered)):  # their new chats depend on an earlier day's
        with transaction(factory) as s:
            _lock(s)
            _recount_chats(s, day)
    if state is None or state.zone != zone:
        with transaction(factory) as s:
            s.execute(delete(PeriodCount))
    _count_periods(factory, ordered, zone)
    with transaction(factory) as s:
        _lock(s)
        state = s.get(RollupState, _STATE)
        if state is None or state.zone != zone:
            for table in DAY_TABLES:
                s.execute(delete(table).where(table.day.not_in(ordered or [today])))
            state = state or RollupState(id=_STATE, zone=zone)
            s.add(state)
            settle = True
        state.zone = zone
        state.message_id = max(state.message_id or 0, tops.message_id)
        state.status_event_id = max(state.status_event_id or 0, tops.status_event_id)
        state.orders_changed_at = tops.now
        state.refreshed_at = tops.now
        if settle:
            state.settled_at = tops.now
    return ordered


def rebuild(factory: sessionmaker[Session], zone: str) -> list[date]:
    """Forget the rollups and cut every day again from the raw records."""
    with transaction(factory) as s:
        _lock(s)
        s.execute(delete(RollupState))
        for table in ALL_TABLES:
            s.execute(delete(table))
    days = refresh(factory, zone)
    _analyze(factory)
    return days


GOAL_BUDGET = 60.0  # seconds of counting per run of a goal's task


def count_goal(
    factory: sessionmaker[Session],
    goal_id: int,
    zone: str,
    start: date | None = None,
    budget: float = GOAL_BUDGET,
) -> date | None:
    """Count a new goal on its past local days from ``start`` (default: the first record's
    day), each day in its own short transaction under the rollups' lock, for about
    ``budget`` seconds; the day to go on from, or None when every day is counted (or the
    goal is gone). The rollups count it on the days they cut from then on."""
    with factory() as s:
        first = start or _first_day(s, zone)
    today = local_day(clock.now(), zone)
    began = time.monotonic()
    for n, day in enumerate(_span(first, today) if first else []):
        if n and time.monotonic() - began > budget:
            return day
        with transaction(factory) as s:
            _lock(s)
            goal = s.get(ConversionGoal, goal_id)
            if goal is None:  # deleted meanwhile
                return None
            p = period_of("day", day, zone)
            written = goals.written_in(s, p.start, p.end) if goal.kind == "phrase" else []
            sources = dimensions.origins(s, p, Counter())  # where the day's chats came from
            found = goals.day_counts(s, p, written, [goal], sources)
            s.execute(delete(DailyFigure).where(DailyFigure.day == day, goals.of_goal(goal_id)))
            _put_figures(s, day, found)
    with transaction(factory) as s:
        goal = s.get(ConversionGoal, goal_id)
        if goal is not None:
            goal.counted_at = clock.now()
    return None


def _analyze(factory: sessionmaker[Session]) -> None:
    """After a rebuild on PostgreSQL, the rollups' tables get fresh statistics and visibility
    maps at once (index-only reads), instead of whenever autovacuum comes by."""
    with factory() as s:
        engine = s.get_bind()
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        for table in ALL_TABLES:
            c.execute(text(f"VACUUM (ANALYZE) {table.__tablename__}"))


# Reading: what the reports ask of the rollups.


def sums(session: Session, first: date, last: date) -> Counter[tuple[str, str]]:
    """Each (metric, key) summed over the local days ``first`` to ``last``."""
    rows = session.execute(
        select(DailyFigure.metric, DailyFigure.key, func.sum(DailyFigure.value))
        .where(DailyFigure.day >= first, DailyFigure.day <= last)
        .group_by(DailyFigure.metric, DailyFigure.key)
    )
    return Counter({(m, k): int(v or 0) for m, k, v in rows})


TREND = ("accepted", "read", "received", "orders", "revenue")
TONES = ("positive", "negative")  # the customers' pleased and unhappy messages of each day


def daily(session: Session, first: date, last: date) -> list[dict[str, Any]]:
    """Each local day from ``first`` to ``last`` with its messages sent, read and received,
    its orders and revenue, and its customers' pleased and unhappy messages: the trends over
    the period."""
    found: dict[date, dict[str, int]] = {}
    for day, metric, key, value in session.execute(
        select(DailyFigure.day, DailyFigure.metric, DailyFigure.key, DailyFigure.value).where(
            DailyFigure.day >= first,
            DailyFigure.day <= last,
            or_(
                and_(DailyFigure.key == "", DailyFigure.metric.in_(TREND)),
                and_(DailyFigure.metric == "tone", DailyFigure.key.in_(TONES)),
            ),
        )
    ):
        found.setdefault(day, {})[key if metric == "tone" else metric] = int(value)
    return [
        {
            "day": day.isoformat(),
            "sent": found.get(day, {}).get("accepted", 0),
            **{m: found.get(day, {}).get(m, 0) for m in TREND[1:] + TONES},
        }
        for day in _span(first, last)
    ]


def chats(session: Session, first: date, last: date) -> int:
    """Distinct conversations the customer wrote in over the days (:mod:`chat_counts`)."""
    return chat_counts.distinct(session, first, last).get(CUSTOMER, 0)


@dataclass(frozen=True)
class KeptTimes:
    """An ended week's or month's first responses and times to resolve
    (:func:`timing.stats`), and each person's median first response."""

    first_response: dict[str, int | None]
    resolution: dict[str, int | None]
    agents: dict[int, int | None]


def kept_times(session: Session, first: date, last: date) -> KeptTimes | None:
    """What :func:`_count_periods` kept for the period ``first``–``last`` (None: nothing,
    e.g. a period still running)."""
    found: dict[str, dict[str, int | None]] = {}
    for metric, key, value in session.execute(
        select(PeriodCount.metric, PeriodCount.key, PeriodCount.value).where(
            PeriodCount.first == first, PeriodCount.last == last
        )
    ):
        found.setdefault(metric, {})[key] = None if value is None or value < 0 else int(value)
    if "first_response" not in found:
        return None
    return KeptTimes(
        found["first_response"],
        found.get("resolution", {}),
        {int(k): v for k, v in found.get("agent_first_response", {}).items()},
    )


def _count_periods(factory: sessionmaker[Session], days: list[date], zone: str) -> None:
    """Work out again the first responses and times to resolve (medians, buckets, each
    person's median) of every week and month that has ended and holds one of ``days``
    (which were just cut), so reading an ended period never reads its waits."""
    today = local_day(clock.now(), zone)
    periods = {
        (p.first, p.last)
        for day in days
        for p in (period_of("week", day, zone), period_of("month", day, zone))
        if p.last < today
    }
    for first, last in sorted(periods):
        with transaction(factory) as s:
            _lock(s)
            agents = wait_medians(s, ResponseWait.user_id, first, last)
            kept = {
                "first_response": time_stats(s, ResponseWait, first, last),
                "resolution": time_stats(s, ResolutionTime, first, last),
                "agent_first_response": {str(u): m for u, m in agents.items() if u is not None},
            }
            s.execute(
                delete(PeriodCount).where(PeriodCount.first == first, PeriodCount.last == last)
            )
            s.execute(
                insert(PeriodCount),
                [
                    # -1: no value (no waits to take a median of)
                    {
                        "first": first,
                        "last": last,
                        "metric": m,
                        "key": k,
                        "value": -1 if v is None else v,
                    }
                    for m, values in kept.items()
                    for k, v in values.items()
                ],
            )


def refreshed_at(session: Session) -> datetime | None:
    """When the rollups were last brought up to date."""
    return session.scalar(select(RollupState.refreshed_at).where(RollupState.id == _STATE))


def snapshot(session: Session) -> dict[str, Any]:
    """Everything stored, comparable between a live run and a rebuild (tests, the CLI)."""
    figures = {
        (d.isoformat(), m, k): int(v)
        for d, m, k, v in session.execute(
            select(DailyFigure.day, DailyFigure.metric, DailyFigure.key, DailyFigure.value)
        )
    }
    chat_days = sorted(
        (d.isoformat(), int(u), int(c), str(src))
        for d, u, c, src in session.execute(
            select(ChatDay.day, ChatDay.user_id, ChatDay.conversation_id, ChatDay.source)
        )
    )
    waits = sorted(
        (int(i), d.isoformat(), u, float(w), float(b))
        for i, d, u, w, b in session.execute(
            select(
                ResponseWait.sample_id,
                ResponseWait.day,
                ResponseWait.user_id,
                ResponseWait.seconds,
                ResponseWait.business_seconds,
            )
        )
    )
    periods = sorted(
        (f.isoformat(), t.isoformat(), m, k, int(v))
        for f, t, m, k, v in session.execute(
            select(
                PeriodCount.first,
                PeriodCount.last,
                PeriodCount.metric,
                PeriodCount.key,
                PeriodCount.value,
            )
        )
    )
    resolved = sorted(
        (int(i), d.isoformat(), float(w), float(b))
        for i, d, w, b in session.execute(
            select(
                ResolutionTime.activity_id,
                ResolutionTime.day,
                ResolutionTime.seconds,
                ResolutionTime.business_seconds,
            )
        )
    )
    return {
        "figures": figures,
        "chats": chat_days,
        "waits": waits,
        "periods": periods,
        "resolutions": resolved,
    }


def time_stats(
    session: Session, table: type[ResponseWait] | type[ResolutionTime], first: date, last: date
) -> dict[str, int | None]:
    """:func:`timing.stats` of the first responses (``ResponseWait``) or times to resolve
    (``ResolutionTime``) of the days; on PostgreSQL worked out in the database (a month of
    a busy shop's waits is not read row by row)."""
    span = and_(table.day >= first, table.day <= last)
    if session.get_bind().dialect.name != "postgresql":
        return timing.stats(
            (float(w), float(b))
            for w, b in session.execute(select(table.seconds, table.business_seconds).where(span))
        )
    row = session.execute(
        select(
            func.count(),
            func.percentile_cont(0.5).within_group(table.seconds),
            func.percentile_cont(0.5).within_group(table.business_seconds),
            *(func.count().filter(table.seconds < limit) for _, limit in timing.BUCKETS),
        ).where(span)
    ).one()
    n, clock_median, business_median, *below = row
    edges = [0, *(int(b) for b in below), int(n)]
    return {
        "n": int(n),
        "median": round(clock_median) if clock_median is not None else None,
        "business_median": round(business_median) if business_median is not None else None,
        **{name: edges[i + 1] - edges[i] for i, name in enumerate(timing.BUCKET_NAMES)},
    }


def wait_medians(
    session: Session, group: Any, first: date, last: date, join: tuple[Any, Any] | None = None
) -> dict[Any, int | None]:
    """The median first response of the days per ``group`` (a column of ``ResponseWait``,
    e.g. who answered or the chat's team, or of the table ``join`` brings in)."""
    w = ResponseWait
    span = and_(w.day >= first, w.day <= last)
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(group, func.percentile_cont(0.5).within_group(w.seconds)).select_from(w)
        if join is not None:
            stmt = stmt.join(*join)
        return {
            key: round(m) if m is not None else None
            for key, m in session.execute(stmt.where(span).group_by(group))
        }
    found: dict[Any, list[float]] = {}
    stmt = select(group, w.seconds).select_from(w)
    if join is not None:
        stmt = stmt.join(*join)
    for key, seconds in session.execute(stmt.where(span)):
        found.setdefault(key, []).append(float(seconds))
    return {key: timing.median(values) for key, values in found.items()}
