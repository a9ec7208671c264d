"""Quick replies for the composer, found as the agent types."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from niaga.core.phone import mask
from niaga.inbox import quick_replies
from niaga.inbox.models import Conversation
from niaga.orders.queries import latest_for_contact, order_placeholders
from niaga.security import permissions
from niaga.web.auth import CanReadInbox
from niaga.web.deps import SessionDep

router = APIRouter(include_in_schema=False)


@router.get("/inbox/quick-replies")
def find_quick_replies(
    session: SessionDep,
    user: CanReadInbox,
    request: Request,
    q: str = "",
    conversation_id: int | None = None,
) -> JSONResponse:
    """Quick replies matching ``q``, filled in for the conversation's contact."""
    contact = None
    if conversation_id is not None:
        conversation = session.get(Conversation, conversation_id)
        contact = conversation.contact if conversation else None
    settings = request.app.state.settings
    extra: dict[str, str] = {}
    shown = None
    if contact is not None:
        extra = order_placeholders(latest_for_contact(session, contact.id), request.state.locale)
        if not permissions.has(user, "see_phone_numbers"):
            shown = mask(contact.phone) if contact.phone else ""
    items = []
    for qr in quick_replies.search(session, q):
        text = (
            quick_replies.render(
                qr.body,
                contact,
                user.name,
                settings.business_name,
                extra=extra,
                phone_shown=shown,
            )
            if contact
            else qr.body
        )
        items.append({"shortcut": qr.shortcut, "title": qr.title, "body": text})
    return JSONResponse({"items": items})
