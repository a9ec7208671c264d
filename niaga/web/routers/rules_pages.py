"""Automation rules in the browser: list, switch on and off, build or edit, dry-run, log.

A rule is data (trigger, conditions, actions as JSON, see :mod:`niaga.automation.schemas`).
The simple form builds the common shape (keywords → label, team, reply); every rule can also
be edited as JSON, which the same validation checks field by field.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import inspect, select

from niaga.automation import csat
from niaga.automation import rules as rule_service
from niaga.automation.dryrun import dry_run
from niaga.automation.models import AutomationRule
from niaga.contacts.models import Label
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.core.i18n import gettext
from niaga.security.models import Team, User
from niaga.templates import service as templates_service
from niaga.web.auth import CanManageLabels, CanReadInbox, may
from niaga.web.deps import SessionDep
from niaga.web.errors import show_form_on_error
from niaga.web.templating import render

router = APIRouter(prefix="/settings/rules", include_in_schema=False)
TRIGGERS = (
    "message_received",
    "conversation_created",
    "conversation_resolved",
    "label_added",
    "order_status_changed",
    "no_business_reply",
    "no_customer_reply",
)


def _rule(session: Any, rule_id: int) -> AutomationRule:
    rule = session.get(AutomationRule, rule_id)
    if rule is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return rule


def _page(
    request: Request,
    session: Any,
    *,
    errors: list[dict[str, str]] | None = None,
    draft: str = "",
    editing: AutomationRule | None = None,
    report: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rules = rule_service.list_rules(session)
    log = rule_service.list_actions(session, limit=30)
    return render(
        request,
        "settings_rules.html",
        status_code=status_code,
        rules=rules,
        log=log,
        labels=list(session.scalars(select(Label).order_by(Label.name))),
        teams=list(session.scalars(select(Team).order_by(Team.name))),
        triggers=TRIGGERS,
        errors=errors or [],
        draft=draft,
        editing=editing,
        report=report,
        can_edit=may(request.state.user, "manage_labels"),
        csat_template=csat.DEFAULT_TEMPLATE.name,
        csat_template_ready=templates_service.approved(
            session, csat.DEFAULT_TEMPLATE.name, csat.DEFAULT_TEMPLATE.language
        ),
        flash=request.query_params.get("flash"),
    )


@router.get("", response_class=HTMLResponse)
def rules_page(request: Request, session: SessionDep, user: CanReadInbox) -> HTMLResponse:
    return _page(request, session)


@router.get("/{rule_id}", response_class=HTMLResponse)
def edit_page(
    request: Request, session: SessionDep, user: CanManageLabels, rule_id: int
) -> HTMLResponse:
    rule = _rule(session, rule_id)
    public = rule_service.rule_public(rule).model_dump(
        mode="json", exclude={"id", "seed_key", "created_at", "updated_at"}
    )
    draft = json.dumps(public, indent=2, ensure_ascii=False)
    return _page(request, session, draft=draft, editing=rule)


def built_rule(
    *,
    name: str,
    trigger: str,
    keywords: str,
    hours: str,
    label: str,
    team: str,
    reply: str,
    set_status: str,
    minutes: int | None,
) -> dict[str, Any]:
    """The rule the simple form describes, as data."""
    trig: dict[str, Any] = {"type": trigger}
    if trigger == "no_business_reply":
        trig["minutes"] = minutes or 30
    elif trigger == "no_customer_reply":
        trig["hours"] = minutes or 24
    conditions: list[dict[str, Any]] = []
    words = [w.strip() for w in keywords.replace("\n", ",").split(",") if w.strip()]
    if words:
        conditions.append({"type": "text_contains", "keywords": words})
    if hours in ("open", "closed"):
        conditions.append({"type": "business_hours", "open": hours == "open"})
    actions: list[dict[str, Any]] = []
    if label.strip():
        actions.append({"type": "add_label", "label": label.strip()})
    if team.strip():
        actions.append({"type": "assign_team", "team": team.strip()})
    if reply.strip():
        actions.append({"type": "send_text", "text": reply.strip()})
    if set_status:
        actions.append({"type": "set_status", "status": set_status})
    return {"name": name, "trigger": trig, "conditions": conditions, "actions": actions}


@router.post("")
def create_rule(
    request: Request,
    session: SessionDep,
    user: CanManageLabels,
    name: Annotated[str, Form()] = "",
    trigger: Annotated[str, Form()] = "message_received",
    keywords: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    reply: Annotated[str, Form()] = "",
    set_status: Annotated[str, Form()] = "",
    minutes: Annotated[int | None, Form()] = None,
    rule_json: Annotated[str, Form()] = "",
    rule_id: Annotated[int | None, Form()] = None,
    action: Annotated[str, Form()] = "save",
    days: Annotated[int, Form(ge=1, le=90)] = 7,
) -> Response:
    """Save (create or replace) a rule from the simple form or from JSON; or dry-run it."""
    locale = request.state.locale
    draft = rule_json

    def form_again(exc: DomainError, message: str) -> Response:
        errors = exc.extra.get("errors") or [{"field": exc.field or "json", "message": message}]
        with transaction(request.app.state.read_session_factory) as read:
            # The request's own session rolled back: read the person and the rule afresh.
            request.state.user = read.get(User, inspect(request.state.user).identity[0])
            known = rule_id is not None and 0 < rule_id < 2**63
            editing = read.get(AutomationRule, rule_id) if known else None
            return _page(
                request, read, errors=errors, draft=draft, editing=editing, status_code=422
            )

    show_form_on_error(request, form_again)
    if rule_json.strip():
        try:
            data = json.loads(rule_json)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise DomainError(
                "rule_json_invalid", "The JSON is not valid: {error}", field="json", error=str(exc)
            ) from None
    else:
        data = built_rule(
            name=name,
            trigger=trigger,
            keywords=keywords,
            hours=hours,
            label=label,
            team=team,
            reply=reply,
            set_status=set_status,
            minutes=minutes,
        )
    editing = _rule(session, rule_id) if rule_id else None
    draft = json.dumps(data, indent=2, ensure_ascii=False)
    checked = rule_service.check_rule(session, data)
    if action == "dry_run":
        report = dry_run(session, checked, days=days, rule_id=rule_id or 0)
        return _page(request, session, draft=draft, editing=editing, report=report)
    if editing is not None:
        rule_service.do_update_rule(session, editing, checked)
    else:
        rule_service.do_create_rule(session, checked)
    return RedirectResponse(f"/settings/rules?flash={gettext('Saved.', locale)}", status_code=303)


@router.post("/{rule_id}/enabled")
def set_enabled(
    session: SessionDep,
    user: CanManageLabels,
    rule_id: int,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    rule_service.do_set_enabled(session, _rule(session, rule_id), enabled == "on")
    return RedirectResponse("/settings/rules", status_code=303)


@router.post("/{rule_id}/delete")
def delete_rule(session: SessionDep, user: CanManageLabels, rule_id: int) -> Response:
    rule_service.do_delete_rule(session, _rule(session, rule_id))
    return RedirectResponse("/settings/rules", status_code=303)
