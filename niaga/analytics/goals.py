"""Conversion goals the owner defines besides orders (the guide's "another goal"): a chat that
gets a label (an agent marks "Booking", a keyword rule adds "Daftar") or where the customer
writes one of a few phrases ("sudah transfer", a button's title), read with the same tolerant
matcher as keyword rules.

A goal's conversions on a local day are the distinct chats that reached it that day; its rate
over a period is those conversions ÷ the conversations the customer wrote in × 100 %, the same
denominator as orders. They are cut with each day by the rollups (metric ``goal``, key the
goal's id); a new goal's past days are counted by a background task
(:func:`niaga.analytics.rollups.count_goal`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from niaga.analytics.models import GOAL_KINDS, ConversionGoal, DailyFigure
from niaga.analytics.periods import Period
from niaga.automation.matching import matched_keywords
from niaga.contacts.models import Label
from niaga.contacts.service import find_label
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.jobs import store as jobs
from niaga.inbox.models import Conversation, ConversationActivity, ConversationLabel, Message
from niaga.inbox.statuses import chunks

COUNT_TASK = "analytics.goal_count"
METRIC = "goal"
TEAM_METRIC = "goal_team"  # key: "<goal id>|<team id or empty>"
LABEL_METRIC = "goal_label"  # key: "<goal id>|<label id>" (one per label on the chat)
SOURCE_METRIC = "goal_source"  # key: "<goal id>|<source>" (chats from somewhere only)
MAX_GOALS = 20
MAX_PHRASES = 20
MAX_PHRASE = 100
FORMULA = (
    "Chats that reached the goal (counted on each day they reached it) ÷ conversations the "
    "customer wrote in × 100 %."
)


class GoalError(DomainError):
    """A conversion goal that cannot be kept as asked."""


def all_goals(session: Session) -> list[ConversionGoal]:
    """The business's goals, oldest first."""
    return list(session.scalars(select(ConversionGoal).order_by(ConversionGoal.id)))


def phrases_of(goal: ConversionGoal) -> list[str]:
    return [str(p) for p in (goal.spec or {}).get("phrases", [])]


def do_create_goal(
    session: Session,
    *,
    name: str,
    kind: str,
    label: str | None = None,
    phrases: Sequence[str] = (),
    actor_user_id: int | None = None,
) -> ConversionGoal:
    """Keep a goal and have its past days counted in the background."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise GoalError("goal_name", "Name the goal (at most 100 characters).", field="name")
    if kind not in GOAL_KINDS:
        raise GoalError("goal_kind", "A goal is a label or phrases.", field="kind")
    taken = session.scalar(
        select(ConversionGoal.id).where(func.lower(ConversionGoal.name) == name.lower())
    )
    if taken is not None:
        raise GoalError(
            "goal_exists", "There is already a goal called {name}.", field="name", name=name
        )
    if (session.scalar(select(func.count()).select_from(ConversionGoal)) or 0) >= MAX_GOALS:
        raise GoalError("goal_limit", "At most {n} goals.", field="name", n=MAX_GOALS)
    goal = ConversionGoal(name=name, kind=kind, spec={}, created_by_user_id=actor_user_id)
    if kind == "label":
        wanted = " ".join((label or "").split())
        found = find_label(session, wanted)
        if found is None:
            raise GoalError(
                "goal_label", "No label called {label}.", field="label", label=wanted or "–"
            )
        goal.label_id = found.id
    else:
        cleaned = list(dict.fromkeys(" ".join(p.split()) for p in phrases if p.strip()))
        if not cleaned or len(cleaned) > MAX_PHRASES:
            raise GoalError(
                "goal_phrases", "Give 1 to {n} phrases.", field="phrases", n=MAX_PHRASES
            )
        if any(len(p) > MAX_PHRASE for p in cleaned):
            raise GoalError(
                "goal_phrase_long",
                "A phrase has at most {n} characters.",
                field="phrases",
                n=MAX_PHRASE,
            )
        goal.spec = {"phrases": cleaned}
    session.add(goal)
    session.flush()
    schedule_count(session, goal.id)
    return goal


def schedule_count(session: Session, goal_id: int, start: date | None = None) -> None:
    """Have a goal's past days counted in the background (from ``start``: the rest)."""
    payload: dict[str, Any] = {"goal_id": goal_id}
    if start is not None:
        payload["from"] = start.isoformat()
    jobs.schedule(session, COUNT_TASK, payload=payload, key=f"{COUNT_TASK}:{goal_id}")


def do_delete_goal(session: Session, goal_id: int) -> None:
    """Forget a goal and its counts."""
    goal = session.get(ConversionGoal, goal_id)
    if goal is None:
        raise NotFoundError("goal_not_found", "No such goal.")
    session.execute(delete(DailyFigure).where(of_goal(goal_id)))
    session.delete(goal)
    session.flush()


def public(goal: ConversionGoal, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "id": goal.id,
        "name": goal.name,
        "kind": goal.kind,
        "label": labels.get(goal.label_id) if goal.label_id else None,
        "phrases": phrases_of(goal),
        "counted": goal.counted_at is not None,
    }


def listed(session: Session) -> list[dict[str, Any]]:
    """Every goal as the API and the page show it."""
    labels = dict(session.execute(select(Label.id, Label.name)).all())
    return [public(g, labels) for g in all_goals(session)]


def day_counts(
    session: Session,
    p: Period,
    written: Iterable[tuple[int, str]],
    goals: Sequence[ConversionGoal],
    sources: dict[int, str],
) -> Counter[tuple[str, str]]:
    """The chats that reached each goal in ``p`` (one local day), in all, by the chat's team
    by its labels, and by where the chat came from that day (``sources``: conversation → ``ad``,
    ``link:<id>``, ``campaign``; absent: a chat the customer started). ``written`` holds the
    day's customers' written messages as (conversation, text)."""
    out: Counter[tuple[str, str]] = Counter()
    found = reached(session, p, written, goals)
    every = sorted({c for chats in found.values() for c in chats})
    teams: dict[int, int | None] = {}
    labels: dict[int, list[int]] = {}
    for part in chunks(every):
        teams.update(
            (int(c), t)
            for c, t in session.execute(
                select(Conversation.id, Conversation.team_id).where(Conversation.id.in_(part))
            )
        )
        for c, label_id in session.execute(
            select(ConversationLabel.conversation_id, ConversationLabel.label_id).where(
                ConversationLabel.conversation_id.in_(part)
            )
        ):
            labels.setdefault(int(c), []).append(int(label_id))
    for goal, chats in found.items():
        for c in chats:
            out[METRIC, str(goal)] += 1
            out[TEAM_METRIC, f"{goal}|{teams.get(c) or ''}"] += 1
            for label_id in labels.get(c, ()):
                out[LABEL_METRIC, f"{goal}|{label_id}"] += 1
            if c in sources:
                out[SOURCE_METRIC, f"{goal}|{sources[c]}"] += 1
    return out


def of_goal(goal_id: int) -> Any:
    """The rollups' rows of one goal (in all, by team, by label and by source)."""
    return or_(
        and_(DailyFigure.metric == METRIC, DailyFigure.key == str(goal_id)),
        and_(
            DailyFigure.metric.in_((TEAM_METRIC, LABEL_METRIC, SOURCE_METRIC)),
            DailyFigure.key.startswith(f"{goal_id}|"),
        ),
    )


def split(totals: Counter[tuple[str, str]], metric: str) -> dict[int, dict[str, int]]:
    """A split of the goals' conversions from the period's sums: goal → key → chats."""
    out: dict[int, dict[str, int]] = {}
    for (m, key), n in totals.items():
        if m == metric and n:
            goal, _, rest = key.partition("|")
            out.setdefault(int(goal), {})[rest] = n
    return out


def reached(
    session: Session,
    p: Period,
    written: Iterable[tuple[int, str]],
    goals: Sequence[ConversionGoal],
) -> dict[int, set[int]]:
    """Each goal's chats that reached it in ``p`` (goal id → conversation ids)."""
    found: dict[int, set[int]] = {g.id: set() for g in goals}
    by_label = {g.label_id: g.id for g in goals if g.kind == "label"}
    if by_label:
        for conversation_id, _, label_id in label_events(session, p.start, p.end):
            if label_id in by_label:
                found[by_label[label_id]].add(conversation_id)
    worded = {g.id: phrases_of(g) for g in goals if g.kind == "phrase"}
    if worded:
        for conversation_id, text in written:
            for goal_id, phrases in worded.items():
                if conversation_id not in found[goal_id] and matched_keywords(text, phrases):
                    found[goal_id].add(conversation_id)
    return found


def label_events(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, datetime, int | None]]:
    """(conversation, when, label id) of each label put on a chat from ``start`` to ``end``."""
    a = ConversationActivity
    return [
        (int(c), at, (data or {}).get("label_id"))
        for c, at, data in session.execute(
            select(a.conversation_id, a.created_at, a.data).where(
                a.kind == "label_added", a.created_at >= start, a.created_at < end
            )
        )
    ]


def written_in(session: Session, start: datetime, end: datetime) -> list[tuple[int, str]]:
    """The customers' written messages from ``start`` to ``end``: (conversation, text)."""
    return [
        (int(c), str(t))
        for c, t in session.execute(
            select(Message.conversation_id, Message.text).where(
                Message.direction == "in",
                Message.text.is_not(None),
                Message.created_at >= start,
                Message.created_at < end,
            )
        )
    ]
