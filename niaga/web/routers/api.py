"""``/api/v1``: contacts, conversations, messages (token auth)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from sqlalchemy.orm import Session

from niaga.contacts import service as contacts
from niaga.contacts.models import Contact
from niaga.core.errors import NotFoundError
from niaga.core.phone import mask, to_e164, wa_id_from_e164
from niaga.inbox import queries
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation
from niaga.inbox.schemas import (
    ContactPublic,
    ConversationPublic,
    MessagePublic,
    Page,
    SendMessageRequest,
    SendToNumberRequest,
)
from niaga.security import permissions
from niaga.security.models import ApiToken
from niaga.web.deps import CanRead, CanSend, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["api"], responses=PROBLEM_RESPONSES)


def _numbers_shown(session: Session, token: ApiToken) -> bool:
    return "see_phone_numbers" in permissions.of_token(session, token)


def _masked(contact: ContactPublic) -> ContactPublic:
    """The contact with its numbers masked (for a token that may not see them)."""
    numbers = {contact.phone, contact.wa_id} - {None}
    return contact.model_copy(
        update={
            "phone": mask(contact.phone) if contact.phone else None,
            "wa_id": mask(contact.wa_id) if contact.wa_id else None,
            "name": mask(contact.name) if contact.name in numbers else contact.name,
        }
    )


def _contact_out(session: Session, token: ApiToken, contact: ContactPublic) -> ContactPublic:
    return contact if _numbers_shown(session, token) else _masked(contact)


def _conversation_out(
    session: Session, token: ApiToken, conversation: ConversationPublic
) -> ConversationPublic:
    if _numbers_shown(session, token):
        return conversation
    return conversation.model_copy(update={"contact": _masked(conversation.contact)})


def _not_found(locale: str) -> NotFoundError:
    return NotFoundError("not_found", "Not found.")


@router.get("/contacts", response_model=Page[ContactPublic])
def list_contacts(
    session: SessionDep,
    token: CanRead,
    locale: LocaleDep,
    phone: Annotated[str | None, Query(description="Any format; matched as E.164")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: int | None = None,
) -> Page[ContactPublic]:
    """Contacts, newest first; filter by phone number."""
    e164 = to_e164(phone) if phone else None
    rows = queries.list_contacts(session, phone=e164, limit=limit, before_id=before_id)
    items = [_contact_out(session, token, ContactPublic.model_validate(c)) for c in rows]
    return Page(items=items, next_before_id=rows[-1].id if len(rows) == limit else None)


@router.get("/contacts/{contact_id}", response_model=ContactPublic)
def read_contact(
    contact_id: int, session: SessionDep, token: CanRead, locale: LocaleDep
) -> ContactPublic:
    """One contact."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise _not_found(locale)
    return _contact_out(session, token, ContactPublic.model_validate(contact))


@router.get("/conversations", response_model=list[ConversationPublic])
def list_conversations(
    session: SessionDep,
    token: CanRead,
    status_: Annotated[str | None, Query(alias="status")] = None,
    contact_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConversationPublic]:
    """Conversations, newest activity first."""
    rows = queries.list_conversations(
        session, status=status_, contact_id=contact_id, limit=limit, offset=offset
    )
    return [_conversation_out(session, token, queries.conversation_public(c)) for c in rows]


def _conversation(session: SessionDep, conversation_id: int, locale: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise _not_found(locale)
    return conversation


@router.get("/conversations/{conversation_id}", response_model=ConversationPublic)
def read_conversation(
    conversation_id: int, session: SessionDep, token: CanRead, locale: LocaleDep
) -> ConversationPublic:
    """One conversation, with whether its 24-hour window is open."""
    return _conversation_out(
        session, token, queries.conversation_public(_conversation(session, conversation_id, locale))
    )


@router.get("/conversations/{conversation_id}/messages", response_model=Page[MessagePublic])
def list_messages(
    conversation_id: int,
    session: SessionDep,
    token: CanRead,
    locale: LocaleDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: int | None = None,
) -> Page[MessagePublic]:
    """A conversation's messages, newest first; page with ``before_id``."""
    _conversation(session, conversation_id, locale)
    rows = queries.list_messages(session, conversation_id, limit=limit, before_id=before_id)
    items = [MessagePublic.model_validate(m) for m in rows]
    return Page(items=items, next_before_id=rows[-1].id if len(rows) == limit else None)


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=MessagePublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "24-hour window closed: send a template"}},
)
def send_message(
    conversation_id: int,
    request: SendMessageRequest,
    session: SessionDep,
    token: CanSend,
    locale: LocaleDep,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> MessagePublic:
    """Queue a message; it is sent by the dispatcher and its status follows by webhook.

    Send the same ``Idempotency-Key`` header again to retry safely: the message is queued once.
    """
    conversation = _conversation(session, conversation_id, locale)
    return _send(
        session, conversation, request.message, token, idempotency_key, request.reply_to_wamid
    )


@router.post(
    "/messages",
    response_model=MessagePublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "24-hour window closed: send a template"}},
)
def send_to_number(
    request: SendToNumberRequest,
    http: Request,
    session: SessionDep,
    token: CanSend,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> MessagePublic:
    """Send to a phone number, e.g. a one-time code from your own system with an approved
    authentication template (``body_params`` and the copy button's ``text``: the code).
    The contact and the chat are made on first use. ``Idempotency-Key`` as above."""
    phone = to_e164(request.to)
    contact = contacts.do_upsert_contact_from_whatsapp(session, wa_id=wa_id_from_e164(phone))
    phone_number_id = http.app.state.settings.wa_phone_number_id
    conversation = inbox.do_get_or_create_conversation(session, contact, phone_number_id)
    return _send(session, conversation, request.message, token, idempotency_key)


def _send(
    session: SessionDep,
    conversation: Conversation,
    message: Any,
    token: Any,
    idempotency_key: str | None,
    reply_to_wamid: str | None = None,
) -> MessagePublic:
    """Queue ``message`` from the API (once per ``Idempotency-Key`` of this token)."""
    key = f"api-{token.id}-{idempotency_key}" if idempotency_key else None
    sent = inbox.do_send_message(
        session,
        conversation,
        message,
        origin="api",
        user_id=token.user_id,
        idempotency_key=key,
        reply_to_wamid=reply_to_wamid,
    )
    return MessagePublic.model_validate(sent)


@router.get("/messages/{wamid:path}", response_model=MessagePublic)
def read_message(
    wamid: str, session: SessionDep, token: CanRead, locale: LocaleDep
) -> MessagePublic:
    """A message by Meta's id, with its current delivery status."""
    message = queries.get_message_by_wamid(session, wamid)
    if message is None:
        raise _not_found(locale)
    return MessagePublic.model_validate(message)
