"""The composer: send a text or template, a file, a private note; mark a chat read."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from niaga.channels.whatsapp.outgoing import parse_outgoing
from niaga.core.db import transaction
from niaga.core.errors import ConflictError, DomainError
from niaga.inbox import media as inbox_media
from niaga.inbox import organise
from niaga.inbox import service as inbox
from niaga.security import audit, guard, policy
from niaga.web.auth import (
    Actor,
    CanOrganise,
    CanReadInbox,
    CanReply,
    may,
    require_detached,
)
from niaga.web.deps import SessionDep
from niaga.web.errors import problem
from niaga.web.routers.inbox.common import conversation_or_404

router = APIRouter(include_in_schema=False)


class SendIn(BaseModel):
    """A message from the composer: ``message`` is an outgoing message (see the API)."""

    message: dict[str, Any]
    reply_to_wamid: str | None = None
    idempotency_key: str | None = Field(None, max_length=100)
    # The agent saw the sensitive-data warning and sends anyway.
    confirm_sensitive: bool = False


def _written(message: dict[str, Any]) -> str:
    """The words an agent typed into an outgoing message (body, caption, header, footer)."""
    parts = [message.get(k) for k in ("body", "caption", "text", "header", "footer")]
    return "\n".join(p for p in parts if isinstance(p, str))


def _check_sensitive(
    request: Request, session: Session, conversation_id: int, body: SendIn
) -> JSONResponse | None:
    """Warn about (or block) a card number, NIK, bank account or password in the message;
    a blocked attempt is answered (not raised) so its audit entry is kept."""
    rules = policy.load(session)
    if rules.guard_outgoing == "off":
        return None
    allowed = set(rules.guard_allowed)
    text = _written(body.message)
    found = [
        f
        for f in guard.findings(text)
        if f.kind == "password"
        or "".join(ch for ch in text[f.start : f.end] if ch.isdigit()) not in allowed
    ]
    if not found:
        return None
    kinds = sorted({f.kind for f in found})
    details = {"kinds": kinds, "conversation": conversation_id}
    if rules.guard_outgoing == "block":
        audit.record(
            session, "guard.blocked", target=("conversation", conversation_id), details=details
        )
        blocked = DomainError(
            "sensitive_blocked",
            "This message holds sensitive data (a card number, NIK, bank account or "
            "password); the owner does not allow sending it.",
            field="message",
        )
        message = blocked.message(request.state.locale)
        return problem(422, blocked.code, message, field="message", extra={"kinds": kinds})
    if not body.confirm_sensitive:
        raise ConflictError(
            "sensitive_warn",
            "This message holds sensitive data (a card number, NIK, bank account or "
            "password). Send it anyway?",
            field="message",
            extra={"kinds": kinds},
        )
    audit.record(
        session, "guard.sent_anyway", target=("conversation", conversation_id), details=details
    )
    return None


@router.post("/inbox/c/{conversation_id}/send")
def send(
    request: Request, session: SessionDep, user: CanReply, conversation_id: int, body: SendIn
) -> JSONResponse:
    locale = request.state.locale
    conversation = conversation_or_404(session, conversation_id, locale)
    try:
        outgoing = parse_outgoing(body.message)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise DomainError(
            "message_invalid",
            "The message is not valid: {problems}",
            field="message",
            problems=problems,
        ) from None
    refused = _check_sensitive(request, session, conversation_id, body)
    if refused is not None:
        return refused
    key = f"ui-{user.id}-{body.idempotency_key}" if body.idempotency_key else None
    message = inbox.do_send_message(
        session,
        conversation,
        outgoing,
        origin="agent",
        user_id=user.id,
        idempotency_key=key,
        reply_to_wamid=body.reply_to_wamid,
    )
    if conversation.assigned_user_id is None and may(user, "organise"):
        organise.do_assign(
            session,
            conversation,
            user_id=user.id,
            team_id=conversation.team_id,
            actor_user_id=user.id,
        )
    return JSONResponse({"id": message.id, "status": message.status})


@router.post("/inbox/c/{conversation_id}/media")
async def send_media(
    request: Request,
    user: Annotated[Actor, Depends(require_detached("reply"))],
    conversation_id: int,
    file: Annotated[UploadFile, File()],
    caption: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form()] = "",
) -> JSONResponse:
    """Upload a file and send it as image, video, audio or document (by link)."""
    locale = request.state.locale
    settings = request.app.state.settings
    data = await file.read()
    stored = inbox_media.store_upload(
        settings, data, file.filename or "file", file.content_type or ""
    )
    message: dict[str, Any] = {"type": stored.kind, "link": stored.public_url(settings)}
    if caption.strip() and stored.kind in ("image", "video", "document"):
        message["caption"] = caption.strip()
    if stored.kind == "document":
        message["filename"] = stored.filename
    outgoing = parse_outgoing(message)
    key = f"ui-{user.id}-{idempotency_key}" if idempotency_key else None

    def queue() -> JSONResponse:
        with transaction(request.app.state.session_factory) as session:
            conversation = conversation_or_404(session, conversation_id, locale)
            sent = inbox.do_send_message(
                session,
                conversation,
                outgoing,
                origin="agent",
                user_id=user.id,
                idempotency_key=key,
            )
            return JSONResponse({"id": sent.id, "status": sent.status})

    # Database work runs in a thread: the event loop must never wait for the write lock.
    return await asyncio.to_thread(queue)


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=4096)


@router.post("/inbox/c/{conversation_id}/note")
def add_note(
    request: Request, session: SessionDep, user: CanOrganise, conversation_id: int, body: NoteIn
) -> JSONResponse:
    conversation = conversation_or_404(session, conversation_id, request.state.locale)
    note = organise.do_add_note(session, conversation, body.body, actor_user_id=user.id)
    return JSONResponse({"id": note.id})


@router.post("/inbox/c/{conversation_id}/read")
def mark_read(
    request: Request, session: SessionDep, user: CanReadInbox, conversation_id: int
) -> JSONResponse:
    """Opening a chat marks it read (blue ticks for the customer) unless the user only reads."""
    conversation = conversation_or_404(session, conversation_id, request.state.locale)
    if may(user, "reply") and conversation.unread_count:
        inbox.do_mark_read(session, conversation)
    return JSONResponse({"unread": conversation.unread_count})
