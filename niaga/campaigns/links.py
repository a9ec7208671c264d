"""Click-to-chat links, their QR codes and website button, and what each one brought in.

A link opens a chat with the business with a prefilled text that ends in the link's code
("… (Kode: IG7K2M)"). When a customer's message carries a code, the chat is counted for that
link; orders in that chat within :data:`~niaga.orders.attribution.LOOKBACK` count as the
link's sales (and the order's own attribution names the link too).
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

import segno
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from niaga.campaigns.models import LINK_PLACES, ChatLink, ChatLinkStart
from niaga.catalog.sharing import wa_me_link
from niaga.core import clock
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.tokens import readable_code
from niaga.inbox.models import Message
from niaga.orders.attribution import LOOKBACK, link_code_in
from niaga.orders.models import Order

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud from a poster
CODE_LENGTH = 6
MARK = {"id": "Kode", "en": "Code"}


class LinkInvalid(DomainError):
    """A link without a name or text, or for an unknown place."""


@dataclass(frozen=True)
class LinkStats:
    """What a link brought in: chats started, orders from them, revenue in rupiah."""

    chats: int = 0
    orders: int = 0
    revenue: int = 0


def new_code(session: Session) -> str:
    """A code no other link has."""
    while True:
        code = readable_code(CODE_LENGTH, ALPHABET)
        if session.scalars(select(ChatLink.id).where(ChatLink.code == code)).first() is None:
            return code


def prefilled(link: ChatLink) -> str:
    """The message the customer's WhatsApp opens with."""
    return f"{link.text.strip()} ({MARK.get(link.locale, MARK['id'])}: {link.code})"


def url(link: ChatLink, display_phone_number: str) -> str:
    """``https://wa.me/<number>?text=…`` for the link."""
    return wa_me_link(display_phone_number, prefilled(link))


def qr_svg(target: str) -> bytes:
    """A QR code of ``target`` as SVG (crisp at any size: posters, flyers)."""
    out = io.BytesIO()
    segno.make(target, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=True)
    return out.getvalue()


def qr_png(target: str, scale: int = 10) -> bytes:
    """A QR code of ``target`` as PNG."""
    out = io.BytesIO()
    segno.make(target, error="m").save(out, kind="png", scale=max(2, min(scale, 40)), border=2)
    return out.getvalue()


def button_snippet(target: str, label: str = "Hubungi Kami via WhatsApp") -> str:
    """An embeddable "chat with us" button for a website (inline styles, no script)."""
    return (
        f'<a href="{html.escape(target)}" target="_blank" rel="noopener" '
        'style="display:inline-flex;align-items:center;gap:8px;padding:10px 18px;'
        "background:#25d366;color:#fff;border-radius:24px;font:600 15px system-ui,sans-serif;"
        f'text-decoration:none">{html.escape(label)}</a>'
    )


def do_create_link(
    session: Session, *, name: str, place: str, text: str, locale: str = "id"
) -> ChatLink:
    """A new link for one place."""
    if place not in LINK_PLACES:
        raise LinkInvalid("link_place_unknown", "Choose where the link is put.", field="place")
    if not name.strip():
        raise LinkInvalid("link_name_missing", "Give the link a name.", field="name")
    if not text.strip():
        raise LinkInvalid("link_text_missing", "Write the message it opens with.", field="text")
    link = ChatLink(
        code=new_code(session),
        name=name.strip()[:100],
        place=place,
        text=text.strip()[:900],
        locale=locale if locale in MARK else "id",
    )
    session.add(link)
    session.flush()
    return link


def get_link(session: Session, link_id: int) -> ChatLink:
    """The link, or a 404."""
    link = session.get(ChatLink, link_id) if link_id < 2**63 else None
    if link is None:
        raise NotFoundError("link_not_found", "Link not found.")
    return link


def do_record_start(session: Session, message: Message) -> ChatLinkStart | None:
    """Count the chat for the link whose code ``message`` carries (once per message)."""
    code = link_code_in(message.text) if message.direction == "in" else None
    if code is None:
        return None
    link = session.scalars(select(ChatLink).where(ChatLink.code == code)).first()
    if link is None or not link.active:
        return None
    existing = session.scalars(
        select(ChatLinkStart).where(ChatLinkStart.message_id == message.id)
    ).first()
    if existing is not None:
        return existing
    start = ChatLinkStart(
        link_id=link.id,
        conversation_id=message.conversation_id,
        message_id=message.id,
        at=message.created_at,
    )
    session.add(start)
    session.flush()
    return start


def stats(session: Session, link_ids: list[int]) -> dict[int, LinkStats]:
    """Chats, orders and revenue per link: an order counts for a link when it was made in a
    chat the link started, within :data:`LOOKBACK` after the start (cancelled ones left
    out; once per link)."""
    if not link_ids:
        return {}
    s = ChatLinkStart.__table__
    chats = dict(
        session.execute(
            select(s.c.link_id, func.count(func.distinct(s.c.conversation_id)))
            .where(s.c.link_id.in_(link_ids))
            .group_by(s.c.link_id)
        ).all()
    )
    o = Order.__table__
    rows = session.execute(
        select(s.c.link_id, s.c.at, o.c.id, o.c.total, o.c.created_at)
        .join(
            o,
            and_(
                o.c.conversation_id == s.c.conversation_id,
                o.c.created_at >= s.c.at,
                o.c.status != "dibatalkan",
            ),
        )
        .where(s.c.link_id.in_(link_ids))
    )
    sales: dict[int, dict[int, int]] = {}
    for link_id, start_at, order_id, total, created_at in rows:
        if clock.as_utc(created_at) - clock.as_utc(start_at) <= LOOKBACK:
            sales.setdefault(link_id, {})[order_id] = int(total or 0)
    return {
        i: LinkStats(
            chats=int(chats.get(i, 0)),
            orders=len(sales.get(i, {})),
            revenue=sum(sales.get(i, {}).values()),
        )
        for i in link_ids
    }
