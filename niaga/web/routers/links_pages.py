"""The click-to-chat page: a link per place, its QR code and button, and what it brought in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from niaga.campaigns import links
from niaga.campaigns.models import LINK_PLACES, ChatLink
from niaga.core.i18n import format_idr
from niaga.web.auth import CanReadInbox, may, require
from niaga.web.deps import SessionDep
from niaga.web.templating import render

router = APIRouter(prefix="/settings/links", include_in_schema=False)
CanManageLinks = Annotated[Any, Depends(require("manage_links"))]


@router.get("", response_class=HTMLResponse)
def links_page(request: Request, session: SessionDep, user: CanReadInbox) -> HTMLResponse:
    rows = list(session.scalars(select(ChatLink).order_by(ChatLink.created_at.desc())))
    figures = links.stats(session, [r.id for r in rows])
    number = request.app.state.settings.wa_display_phone_number
    items = []
    for row in rows:
        target = links.url(row, number)
        label = "Hubungi Kami via WhatsApp" if row.locale == "id" else "Chat with us on WhatsApp"
        items.append(
            {
                "link": row,
                "url": target,
                "button": links.button_snippet(target, label),
                "stats": figures[row.id],
                "revenue": format_idr(figures[row.id].revenue),
            }
        )
    return render(
        request,
        "settings_links.html",
        items=items,
        places=LINK_PLACES,
        can_edit=may(user, "manage_links"),
        flash=request.query_params.get("flash"),
    )


@router.post("")
def create_link(
    session: SessionDep,
    user: CanManageLinks,
    name: Annotated[str, Form(max_length=100)],
    place: Annotated[str, Form(max_length=16)],
    text: Annotated[str, Form(max_length=900)],
    locale: Annotated[str, Form(max_length=8)] = "id",
) -> Response:
    link = links.do_create_link(session, name=name, place=place, text=text, locale=locale)
    return RedirectResponse(f"/settings/links#link-{link.id}", status_code=303)


def _qr(request: Request, session: SessionDep, link_id: int, kind: str) -> Response:
    link = links.get_link(session, link_id)
    target = links.url(link, request.app.state.settings.wa_display_phone_number)
    headers = {}
    if request.query_params.get("download"):
        headers["Content-Disposition"] = f'attachment; filename="qr-{link.code}.{kind}"'
    if kind == "svg":
        return Response(links.qr_svg(target), media_type="image/svg+xml", headers=headers)
    return Response(links.qr_png(target), media_type="image/png", headers=headers)


@router.get("/{link_id}/qr.svg")
def qr_svg(link_id: int, request: Request, session: SessionDep, user: CanReadInbox) -> Response:
    """The QR code to show on the page or download for print."""
    return _qr(request, session, link_id, "svg")


@router.get("/{link_id}/qr.png")
def qr_png(link_id: int, request: Request, session: SessionDep, user: CanReadInbox) -> Response:
    """The QR code as an image for social media."""
    return _qr(request, session, link_id, "png")
