"""The team inbox: conversation list, thread, composer actions, contact panel, live stream.

Pages are server-rendered; the inbox's small script fetches the list and thread partials and
posts actions as JSON with the session's CSRF token. Routes stay thin: one service call each.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from niaga.channels.whatsapp.models import MessageTemplate
from niaga.channels.whatsapp.outgoing import parse_outgoing
from niaga.channels.whatsapp.template_sync import template_fields
from niaga.contacts.models import Contact, Label
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import DomainError, NotFoundError, UpstreamError
from niaga.core.i18n import gettext
from niaga.inbox import inbox_queries as iq
from niaga.inbox import media as inbox_media
from niaga.inbox import organise, quick_replies
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation, Message
from niaga.inbox.window import window_expiry, window_open
from niaga.security import sessions
from niaga.security.teams import team_ids_of
from niaga.web.auth import (
    Actor,
    CanOrganise,
    CanReadInbox,
    CanReply,
    may,
    require_detached,
)
from niaga.web.deps import SessionDep
from niaga.web.safe_files import safe_link, untrusted_file
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)


def _conversation(session: Any, conversation_id: int, locale: str) -> Conversation:
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
            context = _conversation_context(request, session, conversation, user)
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


def _conversation_context(
    request: Request, session: Any, conversation: Conversation, user: Any
) -> dict[str, Any]:
    thread = iq.thread(session, conversation.id)
    templates = []
    if not window_open(conversation.last_inbound_at):
        templates = _approved_templates(session)
    from niaga.orders.queries import list_orders

    return {
        "orders": list_orders(session, contact_id=conversation.contact_id, limit=5),
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


@router.get("/inbox/c/{conversation_id}", response_class=HTMLResponse)
def conversation_partial(
    request: Request, session: SessionDep, user: CanReadInbox, conversation_id: int
) -> HTMLResponse:
    conversation = _conversation(session, conversation_id, request.state.locale)
    return render(
        request,
        "_conversation.html",
        **_conversation_context(request, session, conversation, user),
    )


@router.get("/inbox/c/{conversation_id}/older", response_class=HTMLResponse)
def older_messages(
    request: Request,
    session: SessionDep,
    user: CanReadInbox,
    conversation_id: int,
    before: int,
) -> HTMLResponse:
    conversation = _conversation(session, conversation_id, request.state.locale)
    thread = iq.thread(session, conversation.id, before_id=before)
    return render(request, "_messages.html", thread=thread, conversation=conversation)


# ---------------------------------------------------------------------- composer


class SendIn(BaseModel):
    """A message from the composer: ``message`` is an outgoing message (see the API)."""

    message: dict[str, Any]
    reply_to_wamid: str | None = None
    idempotency_key: str | None = Field(None, max_length=100)


@router.post("/inbox/c/{conversation_id}/send")
def send(
    request: Request, session: SessionDep, user: CanReply, conversation_id: int, body: SendIn
) -> JSONResponse:
    locale = request.state.locale
    conversation = _conversation(session, conversation_id, locale)
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
            conversation = _conversation(session, conversation_id, locale)
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
    conversation = _conversation(session, conversation_id, request.state.locale)
    note = organise.do_add_note(session, conversation, body.body, actor_user_id=user.id)
    return JSONResponse({"id": note.id})


@router.post("/inbox/c/{conversation_id}/read")
def mark_read(
    request: Request, session: SessionDep, user: CanReadInbox, conversation_id: int
) -> JSONResponse:
    """Opening a chat marks it read (blue ticks for the customer) unless the user only reads."""
    conversation = _conversation(session, conversation_id, request.state.locale)
    if may(user, "reply") and conversation.unread_count:
        inbox.do_mark_read(session, conversation)
    return JSONResponse({"unread": conversation.unread_count})


# ---------------------------------------------------------------------- organising


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
    conversation = _conversation(session, conversation_id, locale)
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
    conversation = _conversation(session, conversation_id, request.state.locale)
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
    conversation = _conversation(session, conversation_id, request.state.locale)
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


# ---------------------------------------------------------------------- helpers for the composer


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
    items = []
    for qr in quick_replies.search(session, q):
        text = (
            quick_replies.render(qr.body, contact, user.name, settings.business_name)
            if contact
            else qr.body
        )
        items.append({"shortcut": qr.shortcut, "title": qr.title, "body": text})
    return JSONResponse({"items": items})


def _approved_templates(session: Any) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(MessageTemplate)
        .where(MessageTemplate.status == "APPROVED")
        .order_by(MessageTemplate.name, MessageTemplate.language)
    )
    return [template_fields(t) for t in rows]


@router.get("/inbox/templates")
def list_templates(session: SessionDep, user: CanReadInbox) -> JSONResponse:
    """Approved templates with the parameters each needs."""
    return JSONResponse({"items": _approved_templates(session)})


@router.post("/inbox/templates/sync")
async def sync_templates(
    request: Request, user: Annotated[Actor, Depends(require_detached("manage_quick_replies"))]
) -> JSONResponse:
    """Pull the template list from Meta (or the sandbox) now."""
    from niaga.channels.whatsapp.template_sync import sync_templates as do_sync
    from niaga.runtime import make_channel

    settings = request.app.state.settings
    channel = make_channel(settings)
    try:
        count = await do_sync(
            channel, request.app.state.session_factory, settings.wa_business_account_id
        )
    except Exception as exc:  # Meta's error or the network: the person can try again
        raise UpstreamError(
            "template_sync_failed",
            "Could not sync the templates from WhatsApp: {reason}",
            reason=str(exc)[:200],
        ) from exc
    finally:
        await channel.close()
    return JSONResponse({"synced": count})


# ---------------------------------------------------------------------- media


@router.get("/inbox/media/{message_id}")
async def message_media(request: Request, message_id: int) -> Any:
    """The media of a message, served so it can never run as a page of ours.

    Inbound (and outbound by media id): fetched from the Graph API once and cached; images are
    shown as Niaga's re-encoding, everything else is a download. Outbound by link: the agent's
    stored upload, or a redirect to an http(s) link (never to ``javascript:`` and the like).
    """
    factory = request.app.state.read_session_factory
    with transaction(factory) as session:
        found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
        if found is None or not may(found[1], "read_inbox"):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED)
        message = session.get(Message, message_id) if message_id < 2**63 else None
        if message is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        content = message.content if isinstance(message.content, dict) else {}
        kind = (message.type or "").split(":")[0]
    settings = request.app.state.settings
    media_id, mime, link = content.get("id"), content.get("mime_type"), content.get("link")
    filename = content.get("filename") if isinstance(content.get("filename"), str) else None
    if not media_id and link:
        name = inbox_media.upload_name_of(settings, str(link))
        path = inbox_media.uploaded_path(settings, name) if name else None
        if path is not None:
            return _serve_upload(path, filename)
        target = safe_link(str(link))
        if target is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        return RedirectResponse(target, status_code=303)
    if not media_id or not isinstance(media_id, str | int):
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    path, mime = await inbox_media.cached_inbound(settings, str(media_id), mime)
    if kind in ("image", "sticker"):
        safe = await asyncio.to_thread(inbox_media.safe_inbound_image, path)
        if safe is not None:
            return untrusted_file(safe, None, filename=filename, inline_image=True)
    return untrusted_file(path, mime, filename=filename or f"{kind or 'file'}-{message_id}")


def _serve_upload(path: Path, filename: str | None) -> Any:
    mime = inbox_media.uploaded_type(path)
    return untrusted_file(
        path,
        mime,
        filename=filename or path.name,
        inline_image=mime.startswith("image/"),  # uploads are re-encoded when stored
        keep_download_type=True,
    )


@router.get("/media/out/{name}")
def outbound_media(
    request: Request, name: str, exp: str | None = None, sig: str | None = None
) -> Any:
    """An agent's upload: for Meta by its signed, expiring link; for a signed-in colleague."""
    settings = request.app.state.settings
    path = inbox_media.uploaded_path(settings, name)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if not inbox_media.link_valid(settings, name, exp, sig):
        with transaction(request.app.state.read_session_factory) as session:
            found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
            if found is None or not may(found[1], "read_inbox"):
                raise HTTPException(status.HTTP_404_NOT_FOUND)
    return _serve_upload(path, None)


# ---------------------------------------------------------------------- live


class PresenceIn(BaseModel):
    conversation_id: int | None = None


@router.post("/inbox/presence")
def presence(request: Request, user: CanReadInbox, body: PresenceIn) -> JSONResponse:
    """The browser says which chat this user is looking at (every 15 s while open)."""
    hub = request.app.state.live_hub
    hub.viewing(user.id, user.name, body.conversation_id)
    viewers = hub.viewers(body.conversation_id) if body.conversation_id else []
    return JSONResponse({"viewers": [v for v in viewers if v["user_id"] != user.id]})


@router.get("/inbox/events")
async def event_stream(request: Request) -> StreamingResponse:
    """Server-Sent Events: new messages, ticks, assignments, labels, presence."""
    with transaction(request.app.state.read_session_factory) as session:
        found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
        if found is None or not may(found[1], "read_inbox"):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED)
        user_id = found[1].id
    return StreamingResponse(
        request.app.state.live_hub.stream(user_id, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def now_iso() -> str:
    return clock.now().isoformat()


# ---------------------------------------------------------------------- catalog in the composer


@router.get("/inbox/products")
def find_products(
    request: Request, session: SessionDep, user: CanReadInbox, q: str = ""
) -> JSONResponse:
    """Products to share: the catalog search, or the newest visible ones."""
    from niaga.catalog import search as catalog_search
    from niaga.catalog.models import Product
    from niaga.core.i18n import format_idr

    if q.strip():
        products = catalog_search.search(session, q, limit=30, visible_only=True)
    else:
        products = list(
            session.scalars(
                select(Product)
                .where(Product.visible.is_(True))
                .order_by(Product.id.desc())
                .limit(30)
            )
        )
    items = [
        {
            "id": p.id,
            "sku": p.sku,
            "name": p.name,
            "price": format_idr(p.sale_price or p.price, request.state.locale),
        }
        for p in products
    ]
    return JSONResponse({"items": items})


class ShareIn(BaseModel):
    kind: Literal["product", "product_list", "catalog"]
    product_ids: list[int] = Field(default_factory=list, max_length=30)
    body: str | None = Field(None, max_length=1024)
    idempotency_key: str | None = Field(None, max_length=100)


@router.post("/inbox/c/{conversation_id}/share")
def share_products(
    request: Request, session: SessionDep, user: CanReply, conversation_id: int, body: ShareIn
) -> JSONResponse:
    """Send a product, a product list (Meta's limits) or the whole catalog into the chat."""
    from niaga.catalog import sharing

    locale = request.state.locale
    settings = request.app.state.settings
    conversation = _conversation(session, conversation_id, locale)
    key = f"ui-{user.id}-{body.idempotency_key}" if body.idempotency_key else None
    if body.kind == "product":
        if len(body.product_ids) != 1:
            raise DomainError("one_product", "Choose exactly one product.", field="product_ids")
        sent = sharing.do_share_product(
            session,
            conversation,
            body.product_ids[0],
            sandbox=settings.sandbox,
            user_id=user.id,
            body=body.body,
            idempotency_key=key,
        )
    elif body.kind == "product_list":
        sent = sharing.do_share_product_list(
            session,
            conversation,
            body.product_ids,
            sandbox=settings.sandbox,
            user_id=user.id,
            body=body.body,
            locale=locale,
            idempotency_key=key,
        )
    else:
        sent = sharing.do_share_catalog(
            session,
            conversation,
            sandbox=settings.sandbox,
            user_id=user.id,
            body=body.body,
            locale=locale,
            idempotency_key=key,
        )
    return JSONResponse({"id": sent.id, "status": sent.status})
