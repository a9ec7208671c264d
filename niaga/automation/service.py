"""Entry points: one per trigger. Each records the occurrence once (its idempotency key) and runs
the rules in the caller's transaction, so the record and every action commit together."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.automation import batch as round_batch
from niaga.automation import csat, engine
from niaga.automation.context import Run
from niaga.automation.eta import HUMAN_ORIGINS
from niaga.automation.models import AutomationRule, AutomationTrigger
from niaga.automation.profile import load_profile
from niaga.core import clock
from niaga.inbox.locks import own_conversations
from niaga.inbox.models import Conversation, Message

log = logging.getLogger(__name__)
# Inbound messages that are not a customer asking something.
PASSIVE_TYPES = ("reaction", "edit", "revoke", "unsupported", "system", "unknown")
CATCH_UP_MAX_AGE = timedelta(hours=6)
# Younger messages belong to the automation queue (niaga.automation.queue).
CATCH_UP_MIN_AGE = timedelta(seconds=60)
TIMER_LOOKBACK = timedelta(days=3)


def do_record_trigger(
    session: Session,
    key: str,
    trigger_type: str,
    *,
    conversation_id: int | None,
    message_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AutomationTrigger | None:
    """Record an occurrence once; None when ``key`` was already recorded (by anyone).

    The unique key decides: a concurrent second insert waits for the first transaction and
    then fails, so two workers never both act.
    """
    row = AutomationTrigger(
        key=key,
        trigger_type=trigger_type,
        conversation_id=conversation_id,
        message_id=message_id,
        data=data or {},
    )
    batch = round_batch.current(session)
    if batch is not None and not batch.careful:
        # An automation round owns the conversation and claimed the message unhandled: the
        # key is new. Should it not be, the insert fails, the round rolls back and runs again
        # message by message, each in a SAVEPOINT (this path below).
        session.add(row)  # flushed with the round's other rows
        return row
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def handle_message_received(session: Session, message_id: int, *, safe: bool = False) -> Run | None:
    """A customer's message: CSAT answer, else conversation-created and message rules.

    ``safe`` isolates every action in a SAVEPOINT (the catch-up's second attempt).
    """
    message = session.get(Message, message_id)
    if message is None or message.direction != "in":
        return None
    record = do_record_trigger(
        session,
        f"message:{message.id}",
        "message_received",
        conversation_id=message.conversation_id,
        message_id=message.id,
    )
    if record is None:
        return None
    profile = load_profile(session)
    answer = csat.do_take_answer(session, message, profile.locale)
    if answer is not None:
        record.data = {"csat": answer}
        return None
    if message.type.split(":")[0] in PASSIVE_TYPES:
        record.data = {"passive": message.type}
        return None
    conversation = session.get_one(Conversation, message.conversation_id)
    run = Run(
        session=session,
        trigger_type="conversation_created",
        conversation=conversation,
        profile=profile,
        now=clock.now(),
        message=message,
        record=record,
        safe=safe,
    )
    batch = round_batch.current(session)
    if batch is not None and message.id in batch.facts:
        first = not batch.facts[message.id].other_inbound
    else:
        first = not session.scalar(
            select(Message.id)
            .where(
                Message.conversation_id == conversation.id,
                Message.direction == "in",
                Message.id != message.id,
            )
            .limit(1)
        )
    if first:
        engine.execute(run)
    run.trigger_type = "message_received"
    engine.execute(run)
    record.matched = len(run.fired)
    return run


def _run_simple(
    session: Session,
    key: str,
    trigger_type: str,
    conversation: Conversation,
    data: dict[str, Any],
    rules: list[AutomationRule] | None = None,
) -> Run | None:
    record = do_record_trigger(
        session, key, trigger_type, conversation_id=conversation.id, data=data
    )
    if record is None:
        return None
    run = Run(
        session=session,
        trigger_type=trigger_type,
        conversation=conversation,
        profile=load_profile(session),
        now=clock.now(),
        data=data,
        record=record,
        safe=True,
    )
    engine.execute(run, rules)
    record.matched = len(run.fired)
    return run


def handle_resolved(session: Session, conversation_id: int) -> Run | None:
    """A person resolved the conversation."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.status != "resolved":
        return None
    at = conversation.resolved_at or clock.now()
    key = f"resolved:{conversation.id}:{int(at.timestamp() * 1000)}"
    return _run_simple(session, key, "conversation_resolved", conversation, {})


def handle_label_added(session: Session, conversation_id: int, label_id: int) -> Run | None:
    """A person put a label on the conversation."""
    from niaga.contacts.models import Label
    from niaga.inbox.models import ConversationLabel

    conversation = session.get(Conversation, conversation_id)
    label = session.get(Label, label_id)
    link = session.scalar(
        select(ConversationLabel.id).where(
            ConversationLabel.conversation_id == conversation_id,
            ConversationLabel.label_id == label_id,
        )
    )
    if conversation is None or label is None or link is None:
        return None
    data = {"label": label.name, "label_id": label.id}
    return _run_simple(session, f"label:{link}", "label_added", conversation, data)


def handle_order_status(
    session: Session, order_id: int, conversation_id: int | None, status: str
) -> Run | None:
    """An order's status changed (the orders module emits ``ORDER_STATUS_CHANGED``)."""
    conversation = session.get(Conversation, conversation_id) if conversation_id else None
    if conversation is None:
        return None
    data = {"order_id": order_id, "status": status}
    return _run_simple(
        session, f"order:{order_id}:{status}", "order_status_changed", conversation, data
    )


def _last_outbound_at(origin_filter: Any) -> Any:
    return (
        select(func.max(Message.created_at))
        .where(
            Message.conversation_id == Conversation.id,
            Message.direction == "out",
            origin_filter,
        )
        .correlate(Conversation)
        .scalar_subquery()
    )


def due_timers(session: Session, now: datetime | None = None, limit: int = 200) -> int:
    """Fire "no reply after X" rules whose time has come; returns how many occurrences."""
    now = now or clock.now()
    fired = 0
    rules = session.scalars(
        select(AutomationRule)
        .where(
            AutomationRule.enabled.is_(True),
            AutomationRule.trigger_type.in_(("no_business_reply", "no_customer_reply")),
        )
        .order_by(AutomationRule.priority, AutomationRule.id)
    ).all()
    for rule in rules:
        if rule.trigger_type == "no_business_reply":
            cutoff = now - timedelta(minutes=int(rule.trigger["minutes"]))
            last_human = _last_outbound_at(Message.origin.in_(HUMAN_ORIGINS))
            stmt = select(Conversation, Conversation.last_inbound_at).where(
                Conversation.status != "resolved",
                Conversation.last_inbound_at <= cutoff,
                Conversation.last_inbound_at >= cutoff - TIMER_LOOKBACK,
                (last_human.is_(None)) | (last_human < Conversation.last_inbound_at),
            )
        else:
            cutoff = now - timedelta(hours=int(rule.trigger["hours"]))
            last_business = _last_outbound_at(Message.origin != "automation")
            stmt = select(Conversation, last_business).where(
                Conversation.status != "resolved",
                last_business <= cutoff,
                last_business >= cutoff - TIMER_LOOKBACK,
                (Conversation.last_inbound_at.is_(None))
                | (Conversation.last_inbound_at < last_business),
            )
        found = session.execute(stmt.limit(limit)).all()
        owned = own_conversations(session, (c.id for c, _ in found))
        for conversation, since in found:
            if conversation.id not in owned:
                continue  # another worker is acting on this chat: the next tick sees it
            stamp = int(clock.as_utc(since).timestamp())
            key = f"timer:{rule.id}:{conversation.id}:{stamp}"
            if _run_simple(session, key, rule.trigger_type, conversation, {}, [rule]) is not None:
                fired += 1
    return fired
