"""The rule engine: the enabled rules of a trigger, in priority order, conditions then actions.

Loops cannot happen: a rule acts at most once per trigger occurrence (chains included), chains
raised by actions (a label added) stop at :data:`~niaga.automation.context.MAX_DEPTH`, and
events that automation itself caused (``rule_id`` set) never start a new occurrence.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy import select

from niaga.automation import batch as round_batch
from niaga.automation.actions import ACTIONS
from niaga.automation.conditions import all_hold
from niaga.automation.context import MAX_DEPTH, Run
from niaga.automation.models import AutomationAction, AutomationRule
from niaga.automation.schemas import Action, Condition, action_adapter, condition_adapter
from niaga.core.db import is_transient

log = logging.getLogger(__name__)
RULES_CACHE = "automation_rules_cache"
_parsed: dict[tuple[int, Any], tuple[list[Condition], list[Action]]] = {}


def parsed(rule: AutomationRule) -> tuple[list[Condition], list[Action]]:
    """A rule's conditions and actions as models (cached per rule version)."""
    key = (rule.id, rule.updated_at)
    cacheable = bool(rule.id) and rule.updated_at is not None
    found = _parsed.get(key) if cacheable else None
    if found is None:
        found = (
            [condition_adapter.validate_python(c) for c in rule.conditions or []],
            [action_adapter.validate_python(a) for a in rule.actions or []],
        )
        if cacheable:
            if len(_parsed) > 1000:
                _parsed.clear()
            _parsed[key] = found
    return found


def rules_for(run: Run) -> list[AutomationRule]:
    """The enabled rules of the run's trigger, lowest priority number first.

    A session whose ``info`` holds :data:`RULES_CACHE` (the automation queue's, one per
    transaction) reads them once per trigger type.
    """
    cache = run.session.info.get(RULES_CACHE)
    if cache is not None and run.trigger_type in cache:
        return cache[run.trigger_type]
    rules = list(
        run.session.scalars(
            select(AutomationRule)
            .where(
                AutomationRule.enabled.is_(True), AutomationRule.trigger_type == run.trigger_type
            )
            .order_by(AutomationRule.priority, AutomationRule.id)
        )
    )
    if cache is not None:
        cache[run.trigger_type] = rules
    return rules


def trigger_fits(rule: AutomationRule, run: Run) -> bool:
    """The rule's trigger parameters fit this occurrence (e.g. which label was added)."""
    trigger = rule.trigger or {}
    if rule.trigger_type == "label_added" and trigger.get("label"):
        return str(trigger["label"]).lower() == str(run.data.get("label", "")).lower()
    if rule.trigger_type == "order_status_changed" and trigger.get("status"):
        return str(trigger["status"]).lower() == str(run.data.get("status", "")).lower()
    return True


def _log(run: Run, rule: AutomationRule | None, action: str, outcome: str, detail: dict) -> None:
    if run.dry_run:
        run.plan.append(
            {"rule_id": rule.id if rule else None, "action": action, "outcome": outcome, **detail}
        )
        return
    entry = AutomationAction(
        trigger=run.record,
        rule_id=rule.id if rule else None,
        rule_name=rule.name if rule else "",
        conversation_id=run.conversation.id,
        action=action,
        outcome=outcome,
        detail=detail,
        depth=run.depth,
    )
    batch = round_batch.current(run.session)
    if batch is None:
        run.session.add(entry)
        return
    if outcome == "done":
        batch.note_done(run.conversation.id, action, run.now)
    batch.log(run.session, entry)


def execute(run: Run, rules: list[AutomationRule] | None = None) -> int:
    """Run the rules for ``run`` (all of its trigger's, or ``rules``); returns how many acted."""
    acted = 0
    for rule in rules if rules is not None else rules_for(run):
        if not trigger_fits(rule, run):
            continue
        conditions, actions = parsed(rule)
        if rule.id in run.fired:
            _log(
                run, rule, "rule", "skipped", {"reason": "loop_guard", "trigger": run.trigger_type}
            )
            continue
        if not all_hold(run, conditions):
            continue
        run.fired.add(rule.id)
        acted += 1
        for index, action in enumerate(actions):
            outcome, detail = _perform(run, rule, action, index)
            _log(run, rule, action.type, outcome, detail)
        if rule.stop_processing:
            break
    chained, run.chained = run.chained, []
    for trigger_type, data in chained:
        if run.depth + 1 > MAX_DEPTH:
            _log(run, None, "chain", "skipped", {"reason": "depth_limit", "trigger": trigger_type})
            continue
        sub = dataclasses.replace(run, trigger_type=trigger_type, data=data, depth=run.depth + 1)
        sub.chained = []
        acted += execute(sub)
        run.team_chosen = run.team_chosen or sub.team_chosen
    return acted


def _perform(run: Run, rule: AutomationRule, action: Action, index: int) -> tuple[str, dict]:
    handler = ACTIONS[action.type]
    if run.dry_run or not run.safe:
        return handler(run, rule, action, index)
    try:
        with run.session.begin_nested():
            return handler(run, rule, action, index)
    except Exception as exc:  # one broken action must not stop the others
        if is_transient(exc):
            raise  # a lost race is not a broken action: the whole round is tried again
        log.exception("automation rule %s action %s failed", rule.id, action.type)
        return "failed", {"error": f"{type(exc).__name__}: {exc}"[:500]}
