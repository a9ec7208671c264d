"""What the inbox's routers share: a conversation or 404, the list filters, the thread context."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status

from niaga.core.i18n import gettext
from niaga.inbox import inbox_queries as iq
from niaga.inbox.models import Conversation
from niaga.inbox.window import window_expiry, window_open
from niaga.templates import service as templates
from niaga.web.auth import may


def conversation_or_404(session: Any, conversation_id: int, locale: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=gettext("Not found.", locale))
    return conversation


def list_filter(
    view: str = "all",
    team: int | None = None,
    status_: Annotated[str | None, Query(alias="status")] = "open",
    label: int | None = None,
    q: str = "",
    before: Annotated[str | None, Query(description="cursor: <iso time>_<id>")] = None,
) -> iq.InboxFilter:
    """The list's filters from the query string."""
    cursor = None
    if before:
        at, _, ident = before.partition("_")
        with contextlib.suppress(ValueError):
            cursor = (datetime.fromisoformat(at), int(ident))
    return iq.InboxFilter(
        view=view if view in iq.VIEWS else "all",
        team_id=team,
        status=status_ if status_ in ("open", "pending", "resolved") else None,
        label_id=label,
        q=q,
        before=cursor,
    )


FilterDep = Annotated[iq.InboxFilter, Depends(list_filter)]


def conversation_context(
    request: Request, session: Any, conversation: Conversation, user: Any
) -> dict[str, Any]:
    thread = iq.thread(session, conversation.id)
    templates = []
    if not window_open(conversation.last_inbound_at):
        templates = approved_templates(session)
    from niaga.loyalty import queries as loyalty
    from niaga.orders.queries import list_orders

    return {
        "orders": list_orders(session, contact_id=conversation.contact_id, limit=5),
        "points": loyalty.summary(session, conversation.contact_id, history=5),
        "conversation": conversation,
        "thread": thread,
        "panel": iq.panel(session, conversation),
        "labels": iq.all_labels(session),
        "teams": iq.all_teams(session),
        "users": iq.active_users(session),
        "window_open": window_open(conversation.last_inbound_at),
        "window_closed_at": window_expiry(conversation.last_inbound_at),
        "templates": templates,
        "viewers": [
            v
            for v in request.app.state.live_hub.viewers(conversation.id)
            if v["user_id"] != user.id
        ],
        "can_reply": may(user, "reply"),
        "can_organise": may(user, "organise"),
    }


def approved_templates(session: Any) -> list[dict[str, Any]]:
    """Approved templates with what the composer needs to fill them."""
    return templates.composer_templates(session)
