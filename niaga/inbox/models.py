"""Conversations, messages and their delivery statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from niaga.channels.content import Content, Referral, load_referral
from niaga.channels.content import load as load_content
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps

# Forward-only order of outbound statuses; ``failed`` is terminal.
STATUS_RANK: dict[str, int] = {
    "pending": 0,
    "sent": 1,
    "delivered": 2,
    "read": 3,
    "played": 4,
    "failed": 9,
}


class Conversation(Timestamps, Base):
    """One thread between a contact and one of the business's phone numbers."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("contact_id", "phone_number_id"),
        # The inbox list: one status (and assignee or team), newest activity first, ids break
        # ties. They also answer the sidebar counts from the index alone.
        Index("ix_conversations_status_last", "status", "last_message_at", "id"),
        Index(
            "ix_conversations_assignee_status_last",
            "assigned_user_id",
            "status",
            "last_message_at",
            "id",
        ),
        Index("ix_conversations_team_status_last", "team_id", "status", "last_message_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    phone_number_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    last_message_at: Mapped[datetime | None] = mapped_column(index=True)
    last_inbound_at: Mapped[datetime | None]
    unread_count: Mapped[int] = mapped_column(default=0)
    last_referral: Mapped[dict[str, Any] | None]
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # When the chat started waiting for a human (routing queue order); None when not waiting.
    waiting_since: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_message_preview: Mapped[str | None] = mapped_column(String(200))
    last_message_direction: Mapped[str | None] = mapped_column(String(4))

    contact: Mapped[Contact] = relationship(lazy="joined")

    def window_expires_at(self) -> datetime | None:
        """When the 24-hour customer-service window closes (None: never opened)."""
        from niaga.inbox.window import window_expiry

        return window_expiry(self.last_inbound_at)


# ``Message.origin`` of the outbound messages a person wrote (not automation, not campaigns).
HUMAN_ORIGINS = ("agent", "api")


class Message(Base):
    """A message in a conversation, inbound or outbound, of any WhatsApp type."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        # Counts a chat's messages by direction from the index (the contact panel).
        Index("ix_messages_conversation_direction", "conversation_id", "direction"),
        # A day's messages for the analytics rollups and the exports.
        Index("ix_messages_created", "created_at"),
    )
    # Text search also has a trigram index per database, made by migration 0002 and not
    # modelled here: see niaga.inbox.search.

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    # "in" from the customer, "out" to the customer, "note": a private note for the team.
    direction: Mapped[str] = mapped_column(String(4))
    wamid: Mapped[str | None] = mapped_column(String(256), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    # Inbound: the customer's content (niaga.channels.content, read it through ``inbound``);
    # outbound: the message as it was queued.
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context_wamid: Mapped[str | None] = mapped_column(String(256))
    forwarded: Mapped[bool] = mapped_column(default=False)
    referral: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(16), default="received")
    status_at: Mapped[datetime | None]
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(String(512))
    error_detail: Mapped[str | None] = mapped_column(Text)
    pricing: Mapped[dict[str, Any] | None]
    origin: Mapped[str] = mapped_column(String(16), default="customer")
    sent_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    received_at: Mapped[datetime] = mapped_column(default=clock.now)

    conversation: Mapped[Conversation] = relationship()

    @property
    def inbound(self) -> Content | None:
        """What the customer sent, typed (``None`` for outbound messages and notes)."""
        return load_content(self.content) if self.direction == "in" else None

    @property
    def came_from(self) -> Referral | None:
        """The ad or post this message came from, typed."""
        return load_referral(self.referral)


class MessageStatusEvent(Base):
    """Every distinct (wamid, status) Meta reported; the dedupe key for status webhooks."""

    __tablename__ = "message_status_events"
    __table_args__ = (UniqueConstraint("wamid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wamid: Mapped[str] = mapped_column(String(256), index=True)
    status: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[datetime]
    recipient_id: Mapped[str | None] = mapped_column(String(64))
    errors: Mapped[list[Any] | None] = mapped_column(JSONType)
    pricing: Mapped[dict[str, Any] | None]
    callback_data: Mapped[str | None] = mapped_column(String(512), index=True)
    received_at: Mapped[datetime] = mapped_column(default=clock.now)


class ConversationLabel(Base):
    """A label on a conversation; ``rule_id`` says which automation rule added it, if any."""

    __tablename__ = "conversation_labels"
    __table_args__ = (UniqueConstraint("conversation_id", "label_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rule_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ConversationActivity(Base):
    """The history of a conversation: assignments, status, labels; who or which rule did it."""

    __tablename__ = "conversation_activities"
    __table_args__ = (Index("ix_conversation_activities_conv", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rule_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class QuickReply(Timestamps, Base):
    """A saved answer typed as ``/shortcut``; ``{{nama}}``-style placeholders are filled in."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
