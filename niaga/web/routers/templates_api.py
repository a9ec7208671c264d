"""``/api/v1/templates``: write, check and submit message templates; follow their review."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy import select

from niaga.channels.template_definition import TemplateDefinition
from niaga.core.errors import NotFoundError
from niaga.templates import authoring, samples, service
from niaga.templates import sync as template_sync
from niaga.templates.models import MessageTemplate
from niaga.web.deps import CanChangeSettings, CanRead, LocaleDep, SessionDep, public_base
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import settings_of

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
def check(
    definition: TemplateDefinition, token: CanChangeSettings, locale: LocaleDep
) -> TemplateCheck:
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
    definition: TemplateDefinition, session: SessionDep, token: CanChangeSettings
) -> TemplateDetail:
    """Keep a new draft (checked when submitted)."""
    return _detail(session, authoring.do_save_draft(session, definition))


@router.put("/{template_id}", response_model=TemplateDetail)
def edit_draft(
    template_id: int, definition: TemplateDefinition, session: SessionDep, token: CanChangeSettings
) -> TemplateDetail:
    """Change a draft."""
    return _detail(session, authoring.do_save_draft(session, definition, template_id))


class SamplePublic(BaseModel):
    """A stored example file: give ``key`` as the definition's ``header_sample``."""

    key: str
    kind: str
    mime_type: str
    size: int
    url: str


@router.post("/samples", response_model=SamplePublic, status_code=201)
async def upload_sample(
    request: Request,
    token: CanChangeSettings,
    file: Annotated[UploadFile, File(description="JPEG/PNG ≤ 5 MB, MP4 ≤ 16 MB, PDF ≤ 100 MB")],
    kind: Annotated[Literal["image", "video", "document"], Form()],
) -> SamplePublic:
    """Keep the example file of an image, video or document header. Meta reviews the
    template with it, and every message sends it as the header."""
    settings = settings_of(request)
    data = await file.read(samples.MAX_MB["document"] * 2**20 + 1)
    stored = await asyncio.to_thread(samples.do_store, data, kind, settings.data_dir)
    return SamplePublic(
        key=stored.key,
        kind=stored.kind,
        mime_type=stored.mime_type,
        size=stored.size,
        url=samples.url_of(stored.key, settings.public_url),
    )


@router.post("/{template_id}/edit", response_model=TemplateDetail)
def edit_held(
    template_id: int,
    definition: TemplateDefinition,
    request: Request,
    session: SessionDep,
    token: CanChangeSettings,
    locale: LocaleDep,
) -> TemplateDetail:
    """Change a template WhatsApp holds (approved, rejected or paused): checked against
    Meta's rules, then sent to Meta, which reviews it again (an approved template: once a day,
    ten times in 30 days; its name, language and category stay)."""
    template = _template(session, template_id)
    authoring.edited_definition(template, definition)
    authoring.require_valid(definition, locale)
    assert template.meta_id is not None
    result = asyncio.run(
        template_sync.edit_with(settings_of(request), template.meta_id, definition)
    )
    template_sync.raise_if_refused(result)
    return _detail(session, authoring.do_record_edited(session, template, definition))


@router.post("/{template_id}/submit", response_model=TemplateDetail)
def submit(
    template_id: int,
    request: Request,
    session: SessionDep,
    token: CanChangeSettings,
    locale: LocaleDep,
) -> TemplateDetail:
    """Check a draft against Meta's rules (422 naming each field), then submit it for review;
    Meta's answer comes back by webhook (approved, or rejected with the reason)."""
    definition = authoring.draft_definition(_template(session, template_id))
    authoring.require_valid(definition, locale)
    result = asyncio.run(template_sync.submit_with(settings_of(request), [definition]))
    template_sync.raise_if_refused(result)
    ((_, listing),) = result.accepted
    return _detail(session, authoring.do_record_submitted(session, definition, listing))
