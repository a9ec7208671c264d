"""Where an order came from: the latest touch before it (ad, campaign, wa.me link, chat).

Looks back :data:`LOOKBACK` in the conversation:
- ``ad``: an inbound message with a Click-to-WhatsApp ``referral`` (ad or post);
- ``campaign``: an outbound message whose origin is ``campaign`` (a broadcast);
- ``click_to_chat``: an inbound message carrying our wa.me order text ``(SKU: …)`` or the
  code of a click-to-chat link ``(Kode: …)`` (campaigns' links, QR codes and buttons);
- otherwise ``conversation``.
Everything found is kept in ``attribution`` so analytics can choose another model later.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.inbox.models import Conversation, Message

LOOKBACK = timedelta(days=7)
# The code a click-to-chat link adds to its prefilled text: "(Kode: IG7K2M)" / "(Code: …)".
LINK_MARK = re.compile(r"\((?:kode|code|ref)\s*[:：]\s*([A-Za-z2-9]{6})\s*\)", re.IGNORECASE)


def link_code_in(text: str | None) -> str | None:
    """The click-to-chat link code a customer's message carries, if any (upper case)."""
    found = LINK_MARK.search(text or "")
    return found.group(1).upper() if found else None


def attribution_for(
    session: Session, conversation: Conversation, before: datetime
) -> tuple[str, dict[str, Any]]:
    """``(source, details)`` for an order made in ``conversation`` at ``before``."""
    from niaga.catalog.sharing import SKU_MARK

    before = clock.as_utc(before)
    rows = session.scalars(
        select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.created_at >= before - LOOKBACK,
            Message.created_at <= before,
            or_(
                Message.referral.is_not(None),
                Message.origin == "campaign",
                Message.text.like("%(SKU:%"),
                *(func.lower(Message.text).like(f"%({word}:%") for word in ("kode", "code", "ref")),
            ),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(50)
    ).all()
    details: dict[str, Any] = {}
    touches: list[tuple[datetime, str]] = []
    for message in rows:
        at = clock.as_utc(message.created_at)
        if message.direction == "in" and message.referral and "ad" not in details:
            ref = message.came_from
            details["ad"] = {
                k: v
                for k, v in {
                    "source_ref": ref.source_ref if ref else None,
                    "source_kind": ref.source_kind if ref else None,
                    "url": ref.url if ref else None,
                    "headline": ref.headline if ref else None,
                    "click_id": ref.click_id if ref else None,
                }.items()
                if v is not None
            }
            details["ad"]["message_id"] = message.id
            touches.append((at, "ad"))
        elif message.direction == "out" and message.origin == "campaign":
            if "campaign" not in details:
                content = message.content or {}
                details["campaign"] = {
                    "message_id": message.id,
                    "campaign_id": content.get("campaign_id"),
                }
                touches.append((at, "campaign"))
        elif message.direction == "in" and message.text and "click_to_chat" not in details:
            match = SKU_MARK.search(message.text)
            code = link_code_in(message.text)
            if match or code:
                details["click_to_chat"] = {"message_id": message.id}
                if match:
                    details["click_to_chat"]["sku"] = match.group(1)
                if code:
                    details["click_to_chat"]["link_code"] = code
                touches.append((at, "click_to_chat"))
    source = max(touches)[1] if touches else "conversation"
    details["conversation_id"] = conversation.id
    return source, details
