"""``/api/v1/templates``: write, check and submit message templates; follow their review."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from niaga.channels.template_definition import TemplateDefinition
from niaga.core.errors import NotFoundError
from niaga.templates import authoring, service
from niaga.templates import sync as template_sync
from niaga.templates.models import MessageTemplate
from niaga.web.deps import CanRead, LocaleDep, SessionDep, public_base
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage, settings_of

router = APIRouter(prefix="/api/v1/templates", tags=["templates"], responses=PROBLEM_RESPONSES)


class TemplateCheck(BaseModel):
    """Meta's rules the definition breaks (empty: ready to submit) and the guide's advice."""

    problems: list[dict[str, str]]
    advice: list[str]


class TemplateChangePublic(BaseModel):
    kind: str
    old_value: str | None
    new_value: str | None
    reason: str | None
    source: str
    at: Any


class TemplateDetail(BaseModel):
    id: int
    name: str
    language: str
    category: str | None
    status: str
    quality: str | None
    reason: str | None
    written_in_niaga: bool
    definition: TemplateDefinition | None = None
    history: list[TemplateChangePublic] = []


def _template(session: SessionDep, template_id: int) -> MessageTemplate:
    found = session.get(MessageTemplate, template_id) if template_id < 2**63 else None
    if found is None:
        raise NotFoundError("template_not_found", "Template not found.")
    return found


def _detail(session: SessionDep, template: MessageTemplate) -> TemplateDetail:
    return TemplateDetail(
        **authoring.summary(template),
        definition=authoring.definition_of(template),
        history=[
            TemplateChangePublic(
                kind=c.kind,
                old_value=c.old_value,
                new_value=c.new_value,
                reason=c.reason,
                source=c.source,
                at=c.at,
            )
            for c in service.history(session, template.id)
        ],
    )


@router.get("", response_model=list[TemplateDetail])
def list_templates(session: SessionDep, token: CanRead) -> list[TemplateDetail]:
    """Every template: drafts, in review, approved, rejected with Meta's reason, paused…"""
    rows = session.scalars(
        select(MessageTemplate).order_by(MessageTemplate.name, MessageTemplate.language)
    )
    return [TemplateDetail(**authoring.summary(t)) for t in rows]


@router.get("/presets", response_model=dict[str, TemplateDefinition])
def presets(request: Request, token: CanRead, language: str = Query("id", max_length=20)) -> Any:
    """The guide's templates to start from (discount promo, new arrival, order reminder)."""
    return authoring.presets(language, public_base(request))


@router.post("/check", response_model=TemplateCheck)
def check(definition: TemplateDefinition, token: CanManage, locale: LocaleDep) -> TemplateCheck:
    """Check a definition against Meta's rules without saving it; with the guide's advice."""
    return TemplateCheck(
        problems=authoring.check(definition, locale),
        advice=authoring.advice(definition, locale),
    )


@router.get("/{template_id}", response_model=TemplateDetail)
def get_template(template_id: int, session: SessionDep, token: CanRead) -> TemplateDetail:
    """One template with its definition and how its review and quality moved."""
    return _detail(session, _template(session, template_id))


@router.post("", response_model=TemplateDetail, status_code=201)
def save_draft(
    definition: TemplateDefinition, session: SessionDep, token: CanManage
) -> TemplateDetail:
    """Keep a new draft (checked when submitted)."""
    return _detail(session, authoring.do_save_draft(session, definition))


@router.put("/{template_id}", response_model=TemplateDetail)
def edit_draft(
    template_id: int, definition: TemplateDefinition, session: SessionDep, token: CanManage
) -> TemplateDetail:
    """Change a draft."""
    return _detail(session, authoring.do_save_draft(session, definition, template_id))


@router.post("/{template_id}/submit", response_model=TemplateDetail)
def submit(
    template_id: int, request: Request, session: SessionDep, token: CanManage, locale: LocaleDep
) -> TemplateDetail:
    """Check a draft against Meta's rules (422 naming each field), then submit it for review;
    Meta's answer comes back by webhook (approved, or rejected with the reason)."""
    definition = authoring.draft_definition(_template(session, template_id))
    authoring.require_valid(definition, locale)
    result = asyncio.run(template_sync.submit_with(settings_of(request), [definition]))
    template_sync.raise_if_refused(result)
    ((_, listing),) = result.accepted
    return _detail(session, authoring.do_record_submitted(session, definition, listing))
