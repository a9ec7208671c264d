"""Campaigns' tables: click-to-chat links and the chats they started."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, Timestamps

# Where a link is put: each gets its own link, so chats and sales are counted per place.
LINK_PLACES = ("instagram", "facebook", "facebook_ad", "x", "tiktok", "website", "poster", "other")


class ChatLink(Timestamps, Base):
    """A ``wa.me`` link with a prefilled text carrying its code, for one place."""

    __tablename__ = "chat_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)  # what the customer's first message says
    locale: Mapped[str] = mapped_column(String(8), default="id")
    active: Mapped[bool] = mapped_column(default=True)


class ChatLinkStart(Base):
    """A customer's message that came through a link (its code in the text)."""

    __tablename__ = "chat_link_starts"
    __table_args__ = (Index("ix_chat_link_starts_link_at", "link_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("chat_links.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Segment(Timestamps, Base):
    """A saved audience: a name and its rule (``segments.SegmentRule``); counted live."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    rule: Mapped[dict[str, Any]]
