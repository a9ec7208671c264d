"""``/api/v1/links``: click-to-chat links with their QR codes, button and what they brought in."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from niaga.campaigns import links
from niaga.campaigns.models import ChatLink
from niaga.core.i18n import format_idr
from niaga.web.deps import CanChangeSettings, CanRead, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import settings_of

router = APIRouter(prefix="/api/v1/links", tags=["click-to-chat"], responses=PROBLEM_RESPONSES)

Place = Literal["instagram", "facebook", "facebook_ad", "x", "tiktok", "website", "poster", "other"]


class LinkIn(BaseModel):
    """A link for one place; ``text`` is what the customer's first message says."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["Bio Instagram"])
    place: Place
    text: str = Field(min_length=1, max_length=900, examples=["Halo Toko Sari, saya mau tanya"])
    locale: Literal["id", "en"] = "id"


class LinkChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    active: bool | None = None


class LinkPublic(BaseModel):
    id: int
    code: str
    name: str
    place: str
    text: str
    locale: str
    active: bool
    url: str = Field(description="https://wa.me/… with the prefilled text and the code")
    qr_svg: str
    qr_png: str
    button_html: str = Field(description="An embeddable 'Hubungi Kami via WhatsApp' button")
    chats: int
    orders: int
    revenue: int = Field(description="Rupiah, orders within 7 days of a chat the link started")
    revenue_display: str


def link_public(link: ChatLink, request: Request, figures: links.LinkStats) -> LinkPublic:
    target = links.url(link, settings_of(request).wa_display_phone_number)
    return LinkPublic(
        id=link.id,
        code=link.code,
        name=link.name,
        place=link.place,
        text=link.text,
        locale=link.locale,
        active=link.active,
        url=target,
        qr_svg=f"/api/v1/links/{link.id}/qr.svg",
        qr_png=f"/api/v1/links/{link.id}/qr.png",
        button_html=links.button_snippet(
            target,
            "Hubungi Kami via WhatsApp" if link.locale == "id" else "Chat with us on WhatsApp",
        ),
        chats=figures.chats,
        orders=figures.orders,
        revenue=figures.revenue,
        revenue_display=format_idr(figures.revenue),
    )


@router.get("", response_model=list[LinkPublic])
def list_links(request: Request, session: SessionDep, token: CanRead) -> list[LinkPublic]:
    """Every link with its chats, orders and revenue."""
    rows = list(session.scalars(select(ChatLink).order_by(ChatLink.created_at.desc())))
    figures = links.stats(session, [r.id for r in rows])
    return [link_public(r, request, figures[r.id]) for r in rows]


@router.post("", response_model=LinkPublic, status_code=201)
def create_link(
    data: LinkIn, request: Request, session: SessionDep, token: CanChangeSettings
) -> LinkPublic:
    """A new link for one place (each place its own, so they are counted apart)."""
    link = links.do_create_link(
        session, name=data.name, place=data.place, text=data.text, locale=data.locale
    )
    return link_public(link, request, links.LinkStats())


@router.get("/{link_id}", response_model=LinkPublic)
def get_link(link_id: int, request: Request, session: SessionDep, token: CanRead) -> LinkPublic:
    link = links.get_link(session, link_id)
    return link_public(link, request, links.stats(session, [link.id])[link.id])


@router.patch("/{link_id}", response_model=LinkPublic)
def change_link(
    link_id: int, data: LinkChange, request: Request, session: SessionDep, token: CanChangeSettings
) -> LinkPublic:
    """Rename a link or switch its counting off (the wa.me link itself keeps working)."""
    link = links.get_link(session, link_id)
    if data.name is not None:
        link.name = data.name
    if data.active is not None:
        link.active = data.active
    session.flush()
    return link_public(link, request, links.stats(session, [link.id])[link.id])


@router.get("/{link_id}/qr.svg", response_class=Response)
def qr_svg(link_id: int, request: Request, session: SessionDep, token: CanRead) -> Response:
    """The link's QR code as SVG (posters, flyers)."""
    link = links.get_link(session, link_id)
    target = links.url(link, settings_of(request).wa_display_phone_number)
    return Response(links.qr_svg(target), media_type="image/svg+xml")


@router.get("/{link_id}/qr.png", response_class=Response)
def qr_png(
    link_id: int,
    request: Request,
    session: SessionDep,
    token: CanRead,
    scale: int = Query(10, ge=2, le=40),
) -> Any:
    """The link's QR code as PNG."""
    link = links.get_link(session, link_id)
    target = links.url(link, settings_of(request).wa_display_phone_number)
    return Response(links.qr_png(target, scale), media_type="image/png")
