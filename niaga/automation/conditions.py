"""Conditions: one function per ``type``, looked up in :data:`CONDITIONS` (never getattr)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from niaga.automation import batch as round_batch
from niaga.automation import matching, profile
from niaga.automation.context import Run
from niaga.automation.schemas import (
    AnyOf,
    BusinessHours,
    ContactAttribute,
    ContactHasLabel,
    FirstMessage,
    HasLabel,
    InTeam,
    NewOrReturning,
    TextContains,
    TextMatches,
    WindowOpen,
    condition_adapter,
)
from niaga.contacts.models import ContactLabel, Label
from niaga.core import clock
from niaga.inbox.models import ConversationLabel, Message
from niaga.inbox.window import window_open
from niaga.security.models import Team


def _text_contains(run: Run, c: TextContains) -> bool:
    return matching.contains(run.text, c.keywords, c.exclude, c.patterns)


def _text_matches(run: Run, c: TextMatches) -> bool:
    return re.search(c.pattern, run.text, re.IGNORECASE) is not None


def _has_label(run: Run, c: HasLabel) -> bool:
    batch = round_batch.current(run.session)
    if batch is not None and not batch.careful:  # with the labels this round added
        return batch.has_label(run.conversation.id, c.label) == c.present
    found = run.session.scalar(
        select(ConversationLabel.id)
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(
            ConversationLabel.conversation_id == run.conversation.id,
            func.lower(Label.name) == c.label.lower(),
        )
        .limit(1)
    )
    return (found is not None) == c.present


def _contact_label(run: Run, c: ContactHasLabel) -> bool:
    found = run.session.scalar(
        select(ContactLabel.id)
        .join(Label, Label.id == ContactLabel.label_id)
        .where(
            ContactLabel.contact_id == run.conversation.contact_id,
            func.lower(Label.name) == c.label.lower(),
        )
        .limit(1)
    )
    return (found is not None) == c.present


def _in_team(run: Run, c: InTeam) -> bool:
    if c.team is None:
        return run.conversation.team_id is None
    batch = round_batch.current(run.session)
    if batch is not None:
        team = batch.team_named(c.team)
        return team is not None and run.conversation.team_id == team.id
    team_id = run.session.scalar(select(Team.id).where(func.lower(Team.name) == c.team.lower()))
    return team_id is not None and run.conversation.team_id == team_id


def _business_hours(run: Run, c: BusinessHours) -> bool:
    return profile.is_open(run.profile, run.now) == c.open


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "exists":
        return actual is not None
    if actual is None:
        return op == "ne" and expected is not None
    if op == "contains":
        return str(expected).lower() in str(actual).lower()
    if op in ("eq", "ne"):
        same = str(actual).lower() == str(expected).lower()
        return same if op == "eq" else not same
    try:
        a, b = float(actual), float(expected)
    except (TypeError, ValueError):
        return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def _contact_attribute(run: Run, c: ContactAttribute) -> bool:
    attributes = run.conversation.contact.attributes or {}
    return _compare(attributes.get(c.key), c.op, c.value)


def _earlier_inbound(run: Run, *, same_conversation: bool) -> Any:
    """When the customer last wrote before this message (None: never)."""
    if run.message is None:
        return None
    batch = round_batch.current(run.session)
    if batch is not None and run.message.id in batch.facts:
        facts = batch.facts[run.message.id]
        return facts.previous_in_conversation if same_conversation else facts.previous_by_contact
    stmt = select(Message.created_at).where(
        Message.direction == "in",
        Message.id != run.message.id,
        Message.created_at <= run.message.created_at,
    )
    if same_conversation:
        stmt = stmt.where(Message.conversation_id == run.conversation.id)
    else:
        stmt = stmt.where(Message.contact_id == run.conversation.contact_id)
    return run.session.scalar(stmt.order_by(Message.created_at.desc()).limit(1))


def _first_message(run: Run, c: FirstMessage) -> bool:
    if run.message is None:
        return False
    return (_earlier_inbound(run, same_conversation=True) is None) == c.value


def _new_or_returning(run: Run, c: NewOrReturning) -> bool:
    if run.message is None:
        return False
    previous = _earlier_inbound(run, same_conversation=False)
    if previous is None:
        return True
    days = c.days or run.profile.greeting_after_days
    gap = clock.as_utc(run.message.created_at) - clock.as_utc(previous)
    return gap >= timedelta(days=days)


def _window_open(run: Run, c: WindowOpen) -> bool:
    return window_open(run.conversation.last_inbound_at, at=run.now) == c.value


def _any(run: Run, c: AnyOf) -> bool:
    return any(holds(run, sub) for sub in c.conditions)


CONDITIONS: dict[str, Callable[[Run, Any], bool]] = {
    "text_contains": _text_contains,
    "text_matches": _text_matches,
    "label": _has_label,
    "contact_label": _contact_label,
    "team": _in_team,
    "business_hours": _business_hours,
    "contact_attribute": _contact_attribute,
    "first_message": _first_message,
    "new_or_returning": _new_or_returning,
    "window_open": _window_open,
    "any": _any,
}


def holds(run: Run, condition: Any) -> bool:
    """Evaluate one condition (a model or its stored JSON)."""
    if isinstance(condition, dict):
        condition = condition_adapter.validate_python(condition)
    return CONDITIONS[condition.type](run, condition)


def all_hold(run: Run, conditions: list[Any]) -> bool:
    """Every condition holds (an empty list holds)."""
    return all(holds(run, c) for c in conditions)
