"""Rules: validate (naming the bad field), create, change, delete, list; the action log."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.automation.models import AutomationAction, AutomationRule
from niaga.automation.schemas import (
    RuleIn,
    RuleInvalidError,
    RulePublic,
    error_fields,
    rule_adapter,
)
from niaga.security import audit
from niaga.security.models import Team, User


def check_rule(session: Session, data: Any) -> RuleIn:
    """Validate a rule (shape, then teams and agents it names); raises RuleInvalidError."""
    try:
        rule = data if isinstance(data, RuleIn) else rule_adapter.validate_python(data)
    except ValidationError as exc:
        raise RuleInvalidError(error_fields(exc)) from None
    errors = []
    teams = {n.lower() for n in session.scalars(select(Team.name))}
    for i, c in enumerate(rule.conditions):
        if c.type == "team" and c.team is not None and c.team.lower() not in teams:
            errors.append(
                {"field": f"conditions[{i}].team", "message": f"no team named {c.team!r}"}
            )
    for i, a in enumerate(rule.actions):
        if a.type == "assign_team" and a.team.lower() not in teams:
            errors.append({"field": f"actions[{i}].team", "message": f"no team named {a.team!r}"})
        if a.type == "assign_agent" and not session.scalar(
            select(User.id).where(User.email == a.email.lower(), User.is_active.is_(True))
        ):
            errors.append({"field": f"actions[{i}].email", "message": f"no active user {a.email}"})
    if errors:
        raise RuleInvalidError(errors)
    return rule


def _apply(rule: AutomationRule, data: RuleIn) -> None:
    rule.name = data.name
    rule.description = data.description
    rule.enabled = data.enabled
    rule.priority = data.priority
    rule.trigger = data.trigger.model_dump(mode="json")
    rule.trigger_type = data.trigger.type
    rule.conditions = [c.model_dump(mode="json") for c in data.conditions]
    rule.actions = [a.model_dump(mode="json") for a in data.actions]
    rule.stop_processing = data.stop_processing


def do_create_rule(session: Session, data: Any, *, seed_key: str | None = None) -> AutomationRule:
    """Validate and store a new rule."""
    checked = check_rule(session, data)
    rule = AutomationRule(seed_key=seed_key)
    _apply(rule, checked)
    session.add(rule)
    session.flush()
    _record(session, "rule.created", rule)
    return rule


def _record(session: Session, kind: str, rule: AutomationRule, **details: Any) -> None:
    audit.record(
        session,
        kind,
        target=("rule", rule.id),
        details={"name": rule.name, "trigger": rule.trigger_type, **details},
    )


def do_update_rule(session: Session, rule: AutomationRule, data: Any) -> AutomationRule:
    """Validate and replace a rule's definition."""
    _apply(rule, check_rule(session, data))
    session.flush()
    _record(session, "rule.updated", rule, enabled=rule.enabled)
    return rule


def do_set_enabled(session: Session, rule: AutomationRule, enabled: bool) -> AutomationRule:
    """Switch a rule on or off."""
    if rule.enabled != enabled:
        _record(session, "rule.enabled" if enabled else "rule.disabled", rule)
    rule.enabled = enabled
    session.flush()
    return rule


def do_delete_rule(session: Session, rule: AutomationRule) -> None:
    """Delete a rule (its past actions stay in the log with its name)."""
    _record(session, "rule.deleted", rule)
    session.delete(rule)
    session.flush()


def list_rules(session: Session, trigger_type: str | None = None) -> list[AutomationRule]:
    """Every rule, in the order they run."""
    stmt = select(AutomationRule).order_by(
        AutomationRule.trigger_type, AutomationRule.priority, AutomationRule.id
    )
    if trigger_type:
        stmt = stmt.where(AutomationRule.trigger_type == trigger_type)
    return list(session.scalars(stmt))


def rule_public(rule: AutomationRule) -> RulePublic:
    """The API view of a stored rule."""
    return RulePublic.model_validate(
        {
            "id": rule.id,
            "seed_key": rule.seed_key,
            "created_at": rule.created_at,
            "updated_at": rule.updated_at,
            "name": rule.name,
            "description": rule.description,
            "enabled": rule.enabled,
            "priority": rule.priority,
            "trigger": rule.trigger,
            "conditions": rule.conditions,
            "actions": rule.actions,
            "stop_processing": rule.stop_processing,
        }
    )


def list_actions(
    session: Session,
    *,
    rule_id: int | None = None,
    conversation_id: int | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AutomationAction]:
    """The action log, newest first."""
    stmt = select(AutomationAction).order_by(AutomationAction.id.desc()).limit(limit)
    if rule_id is not None:
        stmt = stmt.where(AutomationAction.rule_id == rule_id)
    if conversation_id is not None:
        stmt = stmt.where(AutomationAction.conversation_id == conversation_id)
    if before_id is not None:
        stmt = stmt.where(AutomationAction.id < before_id)
    return list(session.scalars(stmt))
