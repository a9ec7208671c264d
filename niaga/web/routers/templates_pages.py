"""The templates page: the list with review state and quality, and the editor (presets, live
rules and advice, drafts, submission)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from niaga.channels.template_definition import TemplateDefinition
from niaga.core.db import transaction
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.i18n import gettext
from niaga.doctor import own_templates
from niaga.templates import authoring, samples
from niaga.templates import sync as template_sync
from niaga.templates.models import MessageTemplate
from niaga.web.auth import Actor, CanReadInbox, may, require, require_detached
from niaga.web.deps import SessionDep, public_base
from niaga.web.templating import render

router = APIRouter(prefix="/settings/templates", include_in_schema=False)
CanManageTemplates = Annotated[Any, Depends(require("manage_templates"))]


class DraftIn(BaseModel):
    """A draft from the editor: a new one (no id) or a change of one."""

    id: int | None = None
    definition: TemplateDefinition


@router.get("", response_class=HTMLResponse)
def templates_page(request: Request, session: SessionDep, user: CanReadInbox) -> HTMLResponse:
    rows = list(
        session.scalars(
            select(MessageTemplate).order_by(MessageTemplate.name, MessageTemplate.language)
        )
    )
    drafts = {
        t.id: authoring.definition_of(t).model_dump(mode="json")  # type: ignore[union-attr]
        for t in rows
        if t.status == "DRAFT" and t.definition
    }
    held = {
        t.id: authoring.definition_of(t).model_dump(mode="json")  # type: ignore[union-attr]
        for t in rows
        if t.status in authoring.EDITABLE and t.definition and t.meta_id
    }
    locale = request.state.locale
    return render(
        request,
        "settings_templates.html",
        templates=rows,
        editor_data={
            "presets": {
                key: preset.model_dump(mode="json")
                for key, preset in authoring.presets(locale, public_base(request)).items()
            },
            "drafts": drafts,
            "held": held,
            "sample_base": samples.url_of("", request.app.state.settings.public_url),
        },
        can_edit=may(user, "manage_templates"),
        own=own_templates.states(session, request.app.state.settings),
        flash=request.query_params.get("flash"),
    )


@router.post("/own/submit")
async def submit_own(
    request: Request, user: Annotated[Actor, Depends(require_detached("manage_templates"))]
) -> Response:
    """Submit every template Niaga's own features need that Meta does not know yet."""
    state = request.app.state
    locale = request.state.locale
    try:
        names = await own_templates.submit_missing(state.settings, state.session_factory)
        message = (
            gettext("Submitted for review: {names}", locale, names=", ".join(names))
            if names
            else gettext("Meta knows every template Niaga needs already.", locale)
        )
    except DomainError as exc:
        message = exc.message(locale)
    return RedirectResponse(f"/settings/templates?flash={quote(message)}#own", status_code=303)


@router.post("/check")
def check(definition: TemplateDefinition, request: Request, user: CanManageTemplates) -> Any:
    """Meta's rules and the guide's advice for what is in the editor now."""
    locale = request.state.locale
    return {
        "problems": authoring.check(definition, locale),
        "advice": authoring.advice(definition, locale),
    }


@router.post("/drafts")
def save_draft(data: DraftIn, session: SessionDep, user: CanManageTemplates) -> Any:
    """Keep the draft in the editor."""
    template = authoring.do_save_draft(session, data.definition, data.id)
    return {"id": template.id, "status": template.status}


@router.post("/samples")
async def upload_sample(
    request: Request,
    user: CanManageTemplates,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
) -> Any:
    """Keep a media header's example file (the editor then names it in the definition)."""
    data = await file.read(samples.MAX_MB["document"] * 2**20 + 1)
    settings = request.app.state.settings
    stored = await asyncio.to_thread(samples.do_store, data, kind, settings.data_dir)
    return {"key": stored.key, "url": samples.url_of(stored.key, settings.public_url)}


@router.post("/{template_id}/edit")
async def edit_held(
    template_id: int,
    definition: TemplateDefinition,
    request: Request,
    user: Annotated[Actor, Depends(require_detached("manage_templates"))],
) -> JSONResponse:
    """Send a change of a template WhatsApp holds; it is reviewed again."""
    state = request.app.state

    def load() -> str:
        with transaction(state.read_session_factory) as session:
            template = _template(session, template_id)
            authoring.edited_definition(template, definition)
            assert template.meta_id is not None
            return template.meta_id

    meta_id = await asyncio.to_thread(load)
    authoring.require_valid(definition, user.locale)
    result = await template_sync.edit_with(state.settings, meta_id, definition)
    template_sync.raise_if_refused(result)

    def record() -> str:
        with transaction(state.session_factory) as session:
            template = _template(session, template_id)
            return authoring.do_record_edited(session, template, definition).status

    return JSONResponse({"id": template_id, "status": await asyncio.to_thread(record)})


def _template(session: Any, template_id: int) -> MessageTemplate:
    template = session.get(MessageTemplate, template_id) if template_id < 2**63 else None
    if template is None:
        raise NotFoundError("template_not_found", "Template not found.")
    return template  # type: ignore[no-any-return]


@router.post("/{template_id}/submit")
async def submit(
    template_id: int,
    request: Request,
    user: Annotated[Actor, Depends(require_detached("manage_templates"))],
) -> JSONResponse:
    """Check the draft, submit it to WhatsApp, keep what WhatsApp answered."""
    state = request.app.state

    def load() -> Any:
        with transaction(state.read_session_factory) as session:
            return authoring.draft_definition(_template(session, template_id))

    definition = await asyncio.to_thread(load)
    authoring.require_valid(definition, user.locale)
    result = await template_sync.submit_with(state.settings, [definition])
    template_sync.raise_if_refused(result)
    ((_, listing),) = result.accepted

    def record() -> str:
        with transaction(state.session_factory) as session:
            return authoring.do_record_submitted(session, definition, listing).status

    return JSONResponse({"id": template_id, "status": await asyncio.to_thread(record)})
