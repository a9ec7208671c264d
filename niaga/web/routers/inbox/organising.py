"""Organising a chat: labels, assignment, status, and the contact panel."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from niaga.contacts.models import Contact, Label
from niaga.core.errors import NotFoundError
from niaga.core.i18n import gettext
from niaga.inbox import organise
from niaga.web.auth import CanOrganise, may
from niaga.web.deps import SessionDep
from niaga.web.routers.inbox.common import conversation_or_404

router = APIRouter(include_in_schema=False)


class LabelIn(BaseModel):
    label_id: int | None = None
    name: str | None = Field(None, max_length=100)
    action: Literal["add", "remove"] = "add"
    target: Literal["conversation", "contact"] = "conversation"


@router.post("/inbox/c/{conversation_id}/labels")
def change_label(
    request: Request, session: SessionDep, user: CanOrganise, conversation_id: int, body: LabelIn
) -> JSONResponse:
    locale = request.state.locale
    conversation = conversation_or_404(session, conversation_id, locale)
    label: Label | None = None
    if body.label_id is not None:
        label = session.get(Label, body.label_id)
    elif body.name and may(user, "manage_labels"):
        label = organise.get_or_create_label(session, body.name)
    elif body.name:
        label = session.scalars(select(Label).where(Label.name == body.name.strip())).first()
    if label is None:
        raise NotFoundError("label_not_found", "No such label.")
    if body.target == "contact":
        if body.action == "add":
            changed = organise.do_add_contact_label(
                session, conversation.contact_id, label, actor_user_id=user.id
            )
        else:
            changed = organise.do_remove_contact_label(
                session, conversation.contact_id, label, actor_user_id=user.id
            )
    elif body.action == "add":
        changed = organise.do_add_conversation_label(
            session, conversation, label, actor_user_id=user.id
        )
    else:
        changed = organise.do_remove_conversation_label(
            session, conversation, label, actor_user_id=user.id
        )
    return JSONResponse({"changed": changed, "label_id": label.id})


class AssignIn(BaseModel):
    user_id: int | None = None
    team_id: int | None = None


@router.post("/inbox/c/{conversation_id}/assign")
def assign(
    request: Request, session: SessionDep, user: CanOrganise, conversation_id: int, body: AssignIn
) -> JSONResponse:
    conversation = conversation_or_404(session, conversation_id, request.state.locale)
    changed = organise.do_assign(
        session, conversation, user_id=body.user_id, team_id=body.team_id, actor_user_id=user.id
    )
    return JSONResponse({"changed": changed})


class StatusIn(BaseModel):
    status: Literal["open", "pending", "resolved"]


@router.post("/inbox/c/{conversation_id}/status")
def set_status(
    request: Request, session: SessionDep, user: CanOrganise, conversation_id: int, body: StatusIn
) -> JSONResponse:
    conversation = conversation_or_404(session, conversation_id, request.state.locale)
    changed = organise.do_set_status(session, conversation, body.status, actor_user_id=user.id)
    return JSONResponse({"changed": changed, "status": conversation.status})


class ContactIn(BaseModel):
    display_name: str | None = Field(None, max_length=256)
    notes: str | None = Field(None, max_length=10000)
    attributes: dict[str, str] | None = None


@router.post("/inbox/contacts/{contact_id}")
def update_contact(
    request: Request, session: SessionDep, user: CanOrganise, contact_id: int, body: ContactIn
) -> JSONResponse:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=gettext("Not found.", request.state.locale)
        )
    if body.display_name is not None:
        contact.display_name = body.display_name.strip() or None
    if body.notes is not None:
        contact.notes = body.notes
    if body.attributes is not None:
        contact.attributes = {
            k.strip()[:64]: v[:500] for k, v in body.attributes.items() if k.strip()
        }
    return JSONResponse({"id": contact.id, "name": contact.name})
