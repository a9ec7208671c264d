"""Distinct chats as additive daily figures, so a week or a month (ended or running) is a sum
of its days instead of a count over its chat days.

When a day is cut, each of its chats (per person, the customer as 0, and for the customer's by
the chat's team) counts in ``chats`` that day, in ``chats_week`` if it was not active on an
earlier day of the same week, and in ``chats_month`` likewise for the month. Distinct chats of
a week are then the sum of ``chats_week`` over its days. A day whose chats change moves the
counts of the later days of its week and month, which :func:`later_days` names for the rollups
to recount.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from niaga.analytics.models import ChatDay, DailyFigure
from niaga.inbox.models import Conversation

CUSTOMER = 0  # ChatDay.user_id of the customer writing in
SPANS = ("", "_week", "_month")  # the day, new in the week, new in the month
METRICS = tuple(f"{who}chats{span}" for who in ("", "team_", "source_") for span in SPANS)


def week_first(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_last(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def count(session: Session, day: date) -> Counter[tuple[str, str]]:
    """``day``'s chats from its chat days (already stored): per person, per team and per
    source (a customer's chat under the first source it had in the span), that day, new in
    its week and new in its month."""
    weekly, monthly = week_first(day), day.replace(day=1)
    earlier = aliased(ChatDay)
    before = (
        earlier.user_id == ChatDay.user_id,
        earlier.conversation_id == ChatDay.conversation_id,
        earlier.day >= min(weekly, monthly),
        earlier.day < day,
    )
    seen = select(func.max(earlier.day)).where(*before).scalar_subquery()
    sourced = select(func.max(earlier.day)).where(*before, earlier.source != "").scalar_subquery()
    out: Counter[tuple[str, str]] = Counter()
    for user_id, team_id, source, last, last_sourced in session.execute(
        select(ChatDay.user_id, Conversation.team_id, ChatDay.source, seen, sourced)
        .join(Conversation, Conversation.id == ChatDay.conversation_id)
        .where(ChatDay.day == day)
    ):
        for span, first in (("", day), ("_week", weekly), ("_month", monthly)):
            if last is None or last < first:
                out[f"chats{span}", str(user_id)] += 1
                if user_id == CUSTOMER:
                    out[f"team_chats{span}", str(team_id or "")] += 1
            if source and user_id == CUSTOMER and (last_sourced is None or last_sourced < first):
                out[f"source_chats{span}", str(source)] += 1
    return out


def later_days(day: date, today: date) -> set[date]:
    """The days after ``day`` in its week and its month, up to ``today``: their counts of new
    chats depend on ``day``'s chats."""
    last = min(max(week_first(day) + timedelta(days=6), month_last(day)), today)
    return {day + timedelta(days=n) for n in range(1, (last - day).days + 1)}


def _span_metric(first: date, last: date) -> str | None:
    """The daily metric whose sum over ``first``–``last`` counts each chat once."""
    if first == last:
        return "chats"
    if first.weekday() == 0 and last == first + timedelta(days=6):
        return "chats_week"
    if first.day == 1 and last == month_last(first):
        return "chats_month"
    return None


def distinct(session: Session, first: date, last: date) -> dict[int, int]:
    """Distinct chats over the days per person (the customer as 0)."""
    metric = _span_metric(first, last)
    if metric is None:  # another span: counted from the chat days
        found = session.execute(
            select(ChatDay.user_id, func.count(func.distinct(ChatDay.conversation_id)))
            .where(ChatDay.day >= first, ChatDay.day <= last)
            .group_by(ChatDay.user_id)
        )
        return {CUSTOMER: 0} | {int(u): int(n) for u, n in found}
    return {CUSTOMER: 0} | {int(k): n for k, n in _sums(session, metric, first, last).items()}


def by_team(session: Session, first: date, last: date) -> dict[int | None, int]:
    """Distinct chats the customers wrote in over the days, by the chat's team when the day
    was cut (None: no team)."""
    metric = _span_metric(first, last)
    if metric is None:
        found = session.execute(
            select(Conversation.team_id, func.count(func.distinct(ChatDay.conversation_id)))
            .join(Conversation, Conversation.id == ChatDay.conversation_id)
            .where(ChatDay.user_id == CUSTOMER, ChatDay.day >= first, ChatDay.day <= last)
            .group_by(Conversation.team_id)
        )
        return {t: int(n) for t, n in found}
    found_sums = _sums(session, f"team_{metric}", first, last)
    return {int(k) if k else None: n for k, n in found_sums.items()}


def _sums(session: Session, metric: str, first: date, last: date) -> dict[str, int]:
    return {
        str(k): int(v or 0)
        for k, v in session.execute(
            select(DailyFigure.key, func.sum(DailyFigure.value))
            .where(DailyFigure.metric == metric, DailyFigure.day >= first, DailyFigure.day <= last)
            .group_by(DailyFigure.key)
        )
    }


def by_source(session: Session, first: date, last: date) -> dict[str, int]:
    """Chats the customers wrote in over the days that came from somewhere (an ad, a link,
    a campaign), each under the first source it had in the days."""
    metric = _span_metric(first, last)
    if metric is not None:
        return _sums(session, f"source_{metric}", first, last)
    came: dict[int, str] = {}
    for conversation_id, source in session.execute(
        select(ChatDay.conversation_id, ChatDay.source)
        .where(
            ChatDay.user_id == CUSTOMER,
            ChatDay.day >= first,
            ChatDay.day <= last,
            ChatDay.source != "",
        )
        .order_by(ChatDay.day)
    ):
        came.setdefault(int(conversation_id), str(source))
    return dict(Counter(came.values()))
