"""``/api/v1/automation``: business profile and hours, rules, dry runs, the action log, CSAT,
agent availability. Owners and admins change things; every role may read.

Each route is one service call, so an HTML page can call the same services in one line each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from niaga.automation import csat, defaults, dryrun, profile, routing, rules
from niaga.automation.models import AutomationRule
from niaga.automation.schemas import ProfileIn, ProfilePublic, RuleIn, RulePublic
from niaga.core.i18n import gettext
from niaga.security.models import ApiToken, User
from niaga.web.deps import CanChangeSettings, CanRead, LocaleDep, SessionDep, require_role
from niaga.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/automation", tags=["automation"], responses=PROBLEM_RESPONSES)
CanManage = Annotated[ApiToken, Depends(require_role("owner", "admin"))]
CanAnswer = Annotated[ApiToken, Depends(require_role("owner", "admin", "agent"))]
RuleBody = Annotated[
    dict[str, Any],
    Body(
        description="A rule: name, trigger, conditions, actions (see the RuleIn schema)",
        examples=[
            {
                "name": "Keluhan ke tim Keluhan",
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "text_contains", "keywords": ["rusak", "kecewa"]}],
                "actions": [
                    {"type": "add_label", "label": "Keluhan"},
                    {"type": "assign_team", "team": "Keluhan"},
                ],
            }
        ],
    ),
]


class ActionLogPublic(BaseModel):
    """One action a rule took, or skipped with its reason."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    trigger_id: int | None
    rule_id: int | None
    rule_name: str
    conversation_id: int | None
    action: str
    outcome: str
    detail: dict[str, Any]
    depth: int
    created_at: datetime


class RuleEnabled(BaseModel):
    """Switch a rule on or off."""

    enabled: bool


class Availability(BaseModel):
    """An agent's availability for new chats."""

    available: bool


def _rule(session: SessionDep, rule_id: int, locale: str) -> AutomationRule:
    rule = session.get(AutomationRule, rule_id)
    if rule is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=gettext("Not found.", locale))
    return rule


@router.get("/profile", response_model=ProfilePublic)
def read_profile(session: SessionDep, token: CanRead) -> ProfilePublic:
    """The business profile, opening hours, and whether the business is open now."""
    return profile.profile_public(profile.load_profile(session))


@router.put("/profile", response_model=ProfilePublic)
def update_profile(
    changes: ProfileIn, session: SessionDep, token: CanChangeSettings
) -> ProfilePublic:
    """Change the profile (omitted fields stay); WhatsApp's copy is synced after commit."""
    return profile.profile_public(profile.do_update_profile(session, changes))


@router.get("/rules", response_model=list[RulePublic])
def list_rules(session: SessionDep, token: CanRead, trigger: str | None = None) -> list[RulePublic]:
    """Every rule in the order it runs (by trigger, then priority)."""
    return [rules.rule_public(r) for r in rules.list_rules(session, trigger)]


@router.post(
    "/rules",
    response_model=RulePublic,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"description": "errors: [{field, message}] name each bad field"}},
)
def create_rule(
    data: RuleBody, session: SessionDep, token: CanChangeSettings, locale: LocaleDep
) -> RulePublic | JSONResponse:
    """Create a rule."""
    return rules.rule_public(rules.do_create_rule(session, data))


@router.get("/rules/{rule_id}", response_model=RulePublic)
def read_rule(rule_id: int, session: SessionDep, token: CanRead, locale: LocaleDep) -> RulePublic:
    """One rule."""
    return rules.rule_public(_rule(session, rule_id, locale))


@router.put("/rules/{rule_id}", response_model=RulePublic)
def replace_rule(
    rule_id: int, data: RuleBody, session: SessionDep, token: CanChangeSettings, locale: LocaleDep
) -> RulePublic | JSONResponse:
    """Replace a rule's definition."""
    return rules.rule_public(rules.do_update_rule(session, _rule(session, rule_id, locale), data))


@router.patch("/rules/{rule_id}", response_model=RulePublic)
def enable_rule(
    rule_id: int,
    change: RuleEnabled,
    session: SessionDep,
    token: CanChangeSettings,
    locale: LocaleDep,
) -> RulePublic:
    """Switch a rule on or off."""
    rule = rules.do_set_enabled(session, _rule(session, rule_id, locale), change.enabled)
    return rules.rule_public(rule)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(
    rule_id: int, session: SessionDep, token: CanChangeSettings, locale: LocaleDep
) -> None:
    """Delete a rule (the action log keeps its name)."""
    rules.do_delete_rule(session, _rule(session, rule_id, locale))


@router.post("/rules/{rule_id}/dry-run")
def dry_run_rule(
    rule_id: int,
    session: SessionDep,
    token: CanRead,
    locale: LocaleDep,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> dict[str, Any]:
    """What this rule would have done over the last ``days`` (nothing is changed or sent)."""
    rule = _rule(session, rule_id, locale)
    definition = RuleIn.model_validate(
        rules.rule_public(rule).model_dump(include=set(RuleIn.model_fields))
    )
    return dryrun.dry_run(session, definition, days=days)


@router.post("/rules/dry-run")
def dry_run_definition(
    data: RuleBody,
    session: SessionDep,
    token: CanRead,
    locale: LocaleDep,
    days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> Any:
    """Dry-run a rule that is not saved yet (validated like a new rule)."""
    definition = rules.check_rule(session, data)
    return dryrun.dry_run(session, definition, days=days)


@router.get("/actions", response_model=list[ActionLogPublic])
def list_actions(
    session: SessionDep,
    token: CanRead,
    rule_id: int | None = None,
    conversation_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: int | None = None,
) -> list[ActionLogPublic]:
    """The action log, newest first: every action a rule took or skipped, and why."""
    rows = rules.list_actions(
        session, rule_id=rule_id, conversation_id=conversation_id, limit=limit, before_id=before_id
    )
    return [ActionLogPublic.model_validate(r) for r in rows]


@router.post("/seed-defaults")
def seed_defaults(session: SessionDep, token: CanChangeSettings) -> dict[str, int]:
    """Teams, labels and the default retail rules (only what is missing)."""
    return defaults.do_seed_defaults(session)


@router.get("/csat/summary")
def csat_summary(
    session: SessionDep, token: CanRead, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    """Answered satisfaction surveys: count and average, per agent and per team."""
    return csat.summary(session, days=days)


@router.put("/agents/{user_id}/availability")
def set_availability(
    user_id: int, change: Availability, session: SessionDep, token: CanAnswer, locale: LocaleDep
) -> dict[str, Any]:
    """An agent goes available (waiting chats are routed to them) or away.

    Owners and admins may set anyone; an agent's own token may set themselves.
    """
    if token.role not in ("owner", "admin") and token.user_id != user_id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=gettext("Your role ({role}) may not do this.", locale, role=token.role),
        )
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=gettext("Not found.", locale))
    assigned = routing.do_set_available(session, user, change.available)
    return {"user_id": user.id, "available": user.available, "assigned_from_queue": assigned}
