"""The inbox pages: the conversation list, its partial, a thread and its older messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from niaga.inbox import inbox_queries as iq
from niaga.inbox.models import Conversation
from niaga.security.teams import team_ids_of
from niaga.web.auth import CanReadInbox, may
from niaga.web.deps import SessionDep
from niaga.web.routers.inbox.common import FilterDep, conversation_context, conversation_or_404
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    session: SessionDep,
    user: CanReadInbox,
    flt: FilterDep,
    c: int | None = None,
) -> HTMLResponse:
    rows = iq.conversation_list(session, flt, user)
    context: dict[str, Any] = {}
    if c is not None:
        conversation = session.get(Conversation, c)
        if conversation is not None:
            context = conversation_context(request, session, conversation, user)
    page: dict[str, Any] = {
        "rows": rows,
        "flt": flt,
        "counts": iq.counts(session, user),
        "labels": iq.all_labels(session),
        "teams": iq.all_teams(session),
        "my_team_ids": team_ids_of(session, user.id),
        "selected": c,
        "can_reply": may(user, "reply"),
        "can_organise": may(user, "organise"),
    }
    # The open conversation's context repeats labels and teams; one of each is enough.
    return render(request, "inbox.html", **{**page, **context})


@router.get("/inbox/list", response_class=HTMLResponse)
def list_partial(
    request: Request,
    session: SessionDep,
    user: CanReadInbox,
    flt: FilterDep,
    c: int | None = None,
) -> HTMLResponse:
    rows = iq.conversation_list(session, flt, user)
    return render(
        request, "_conv_list.html", rows=rows, flt=flt, selected=c, counts=iq.counts(session, user)
    )


@router.get("/inbox/c/{conversation_id}", response_class=HTMLResponse)
def conversation_partial(
    request: Request, session: SessionDep, user: CanReadInbox, conversation_id: int
) -> HTMLResponse:
    conversation = conversation_or_404(session, conversation_id, request.state.locale)
    return render(
        request,
        "_conversation.html",
        **conversation_context(request, session, conversation, user),
    )


@router.get("/inbox/c/{conversation_id}/older", response_class=HTMLResponse)
def older_messages(
    request: Request,
    session: SessionDep,
    user: CanReadInbox,
    conversation_id: int,
    before: int,
) -> HTMLResponse:
    conversation = conversation_or_404(session, conversation_id, request.state.locale)
    thread = iq.thread(session, conversation.id, before_id=before)
    return render(request, "_messages.html", thread=thread, conversation=conversation)
