"""Quick replies: saved answers an agent types as ``/shortcut`` (no limit on how many).

Bodies may hold placeholders filled from the conversation: ``{{nama}}`` (the customer's name),
``{{telepon}}`` (their number), ``{{agen}}`` (the agent's name) and ``{{toko}}`` (the
business name), plus any contact attribute as ``{{attribute_key}}``. English aliases
``{{name}}``, ``{{phone}}``, ``{{agent}}`` and ``{{shop}}`` work too; the customer's latest
order fills ``{{no_pesanan}}``, ``{{resi}}``, ``{{link_lacak}}``, ``{{kurir}}``, ``{{total}}``
and ``{{status_pesanan}}`` (the composer passes them in). Unknown placeholders are
left as they are so the agent sees them before sending.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from niaga.contacts.models import Contact
from niaga.core.errors import DomainError
from niaga.inbox.models import QuickReply

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class QuickReplyError(DomainError):
    """A quick reply that cannot be saved."""


def normalise_shortcut(shortcut: str) -> str:
    value = shortcut.strip().lstrip("/").lower()
    if not SHORTCUT.match(value):
        raise QuickReplyError(
            "shortcut_invalid",
            "Shortcut: use 1-64 letters, digits, - or _ (e.g. /ongkir).",
            field="shortcut",
        )
    return value


def do_save_quick_reply(
    session: Session,
    *,
    shortcut: str,
    body: str,
    title: str | None = None,
    user_id: int | None = None,
    quick_reply: QuickReply | None = None,
) -> QuickReply:
    """Create or update a quick reply (shortcuts are unique)."""
    key = normalise_shortcut(shortcut)
    if not body.strip():
        raise QuickReplyError("body_empty", "The text is empty.", field="body")
    if len(body) > 4096:
        raise QuickReplyError(
            "body_too_long", "The text is longer than WhatsApp's 4096 characters.", field="body"
        )
    clash = session.scalars(select(QuickReply).where(QuickReply.shortcut == key)).first()
    if clash is not None and clash is not quick_reply:
        raise QuickReplyError("shortcut_taken", "/{key} already exists.", field="shortcut", key=key)
    if quick_reply is None:
        quick_reply = QuickReply(shortcut=key, body=body, title=title, created_by_user_id=user_id)
        session.add(quick_reply)
    else:
        quick_reply.shortcut, quick_reply.body, quick_reply.title = key, body, title
    session.flush()
    return quick_reply


def search(session: Session, prefix: str = "", limit: int = 20) -> list[QuickReply]:
    """Quick replies whose shortcut starts with, or title contains, ``prefix``."""
    stmt = select(QuickReply).order_by(QuickReply.shortcut).limit(limit)
    term = prefix.strip().lstrip("/").lower()
    if term:
        stmt = stmt.where(
            or_(
                QuickReply.shortcut.like(f"{term}%"),
                func.lower(QuickReply.title).like(f"%{term}%"),
            )
        )
    return list(session.scalars(stmt))


def render(
    body: str,
    contact: Contact,
    agent_name: str = "",
    business_name: str = "",
    *,
    extra: dict[str, str] | None = None,
    phone_shown: str | None = None,
) -> str:
    """``body`` with its placeholders filled for ``contact``; ``extra`` adds values (the
    customer's latest order), ``phone_shown`` replaces the number (masked for an agent who
    may not see it)."""
    # Only a real name: an unknown one stays a visible {{nama}} for the agent to fill in.
    full = contact.display_name or contact.profile_name or ""
    first = full.split(" ")[0]
    values = {
        "nama": full,
        "name": full,
        "nama_depan": first,
        "first_name": first,
        "telepon": phone_shown if phone_shown is not None else contact.phone or "",
        "phone": phone_shown if phone_shown is not None else contact.phone or "",
        "agen": agent_name,
        "agent": agent_name,
        "toko": business_name,
        "shop": business_name,
    }
    values.update(extra or {})
    for key, value in (contact.attributes or {}).items():
        values.setdefault(str(key), str(value))

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        return values[key] if key in values and values[key] != "" else match.group(0)

    return PLACEHOLDER.sub(fill, body)
