"""Dry run: what a rule would have done over the last N days, with no side effects.

Past occurrences are replayed from history (customer messages, first messages, resolutions and
labels from the activity log); conditions see the time of each occurrence (business hours,
first message, returning customer, window) but today's labels, team and contact attributes.
Actions are only described. Timers and order changes are not replayed.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.automation import engine
from niaga.automation.context import Run
from niaga.automation.models import AutomationRule
from niaga.automation.profile import load_profile
from niaga.automation.rules import _apply
from niaga.automation.schemas import RuleIn
from niaga.core import clock
from niaga.inbox.models import Conversation, ConversationActivity, Message

REPLAYABLE = ("message_received", "conversation_created", "conversation_resolved", "label_added")
MAX_ITEMS = 200


def _occurrences(session: Session, trigger_type: str, since: Any, limit: int) -> list[dict]:
    found: list[dict] = []
    if trigger_type in ("message_received", "conversation_created"):
        messages = session.scalars(
            select(Message)
            .where(Message.direction == "in", Message.created_at >= since)
            .order_by(Message.created_at, Message.id)
            .limit(limit)
        ).all()
        for m in messages:
            if trigger_type == "conversation_created" and session.scalar(
                select(Message.id)
                .where(
                    Message.conversation_id == m.conversation_id,
                    Message.direction == "in",
                    Message.created_at < m.created_at,
                )
                .limit(1)
            ):
                continue
            found.append({"conversation_id": m.conversation_id, "message": m, "at": m.created_at})
        return found
    kind = "status" if trigger_type == "conversation_resolved" else "label_added"
    activities = session.scalars(
        select(ConversationActivity)
        .where(
            ConversationActivity.kind == kind,
            ConversationActivity.created_at >= since,
            ConversationActivity.rule_id.is_(None),
        )
        .order_by(ConversationActivity.created_at, ConversationActivity.id)
        .limit(limit)
    ).all()
    for a in activities:
        if kind == "status" and (a.data or {}).get("status") != "resolved":
            continue
        data = (
            {"label": a.data.get("label"), "label_id": a.data.get("label_id")}
            if kind != "status"
            else {}
        )
        found.append({"conversation_id": a.conversation_id, "at": a.created_at, "data": data})
    return found


def dry_run(
    session: Session, rule_in: RuleIn, *, days: int = 7, rule_id: int = 0, limit: int = 2000
) -> dict[str, Any]:
    """Replay the rule on the last ``days`` of history; nothing is written or sent."""
    rule = AutomationRule(id=rule_id)  # transient: never added to the session
    _apply(rule, rule_in)
    trigger_type = rule.trigger_type
    report: dict[str, Any] = {
        "trigger": trigger_type,
        "days": days,
        "replayable": trigger_type in REPLAYABLE,
        "occurrences": 0,
        "matched": 0,
        "actions": {},
        "items": [],
    }
    if trigger_type not in REPLAYABLE:
        report["note"] = "this trigger is not replayed from history"
        return report
    profile = load_profile(session)
    since = clock.now() - timedelta(days=days)
    counts: Counter[str] = Counter()
    with session.no_autoflush:
        for occ in _occurrences(session, trigger_type, since, limit):
            conversation = session.get(Conversation, occ["conversation_id"])
            if conversation is None:
                continue
            report["occurrences"] += 1
            run = Run(
                session=session,
                trigger_type=trigger_type,
                conversation=conversation,
                profile=profile,
                now=clock.as_utc(occ["at"]),
                message=occ.get("message"),
                data=occ.get("data") or {},
                dry_run=True,
            )
            if not engine.execute(run, [rule]):
                continue
            report["matched"] += 1
            counts.update(p["action"] for p in run.plan)
            if len(report["items"]) < MAX_ITEMS:
                report["items"].append(
                    {
                        "at": occ["at"].isoformat(),
                        "conversation_id": conversation.id,
                        "message_id": run.message.id if run.message else None,
                        "text": run.text[:200] if run.message else None,
                        "actions": run.plan,
                    }
                )
    report["actions"] = dict(counts)
    return report
