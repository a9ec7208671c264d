"""API shapes for contacts, conversations and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from niaga.channels.whatsapp.outgoing import OutgoingMessage

T = TypeVar("T")


class ContactPublic(BaseModel):
    """A customer."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    phone: str | None = Field(description="E.164, e.g. +6281234567890")
    wa_id: str | None
    user_id: str | None = Field(description="Meta's business-scoped user id (BSUID)")
    username: str | None
    profile_name: str | None
    last_inbound_at: datetime | None
    marketing_opt_out: bool
    created_at: datetime


class ConversationLabelPublic(BaseModel):
    """A label on a conversation; ``rule_id`` names the automation rule that added it."""

    name: str
    color: str
    rule_id: int | None


class ConversationPublic(BaseModel):
    """A thread with one contact, with the state of its 24-hour window."""

    id: int
    contact: ContactPublic
    phone_number_id: str
    status: str
    unread_count: int
    last_message_at: datetime | None
    last_inbound_at: datetime | None
    window_open: bool
    window_expires_at: datetime | None
    created_at: datetime
    labels: list[ConversationLabelPublic] = Field(default_factory=list)
    assigned_user_id: int | None = None
    team_id: int | None = None


class MessagePublic(BaseModel):
    """A message with its current delivery status."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    contact_id: int
    direction: str = Field(description='"in" from the customer, "out" from the business')
    wamid: str | None
    type: str
    text: str | None
    content: dict[str, Any]
    context_wamid: str | None
    forwarded: bool
    referral: dict[str, Any] | None
    status: str = Field(
        description="received | pending | sent | delivered | read | played | failed"
    )
    status_at: datetime | None
    error_code: int | None
    error_title: str | None
    error_detail: str | None
    pricing: dict[str, Any] | None
    origin: str
    created_at: datetime


class SendMessageRequest(BaseModel):
    """Send a message into a conversation."""

    message: OutgoingMessage
    reply_to_wamid: str | None = Field(None, description="Quote this message")


class SendToNumberRequest(BaseModel):
    """Send a message to a phone number (the contact and the chat are made when new)."""

    to: str = Field(max_length=40, examples=["+6281234567890"], description="E.164, or 08…")
    message: OutgoingMessage


class Page(BaseModel, Generic[T]):
    """A page of results, newest first, with a cursor for the next page."""

    items: list[T]
    next_before_id: int | None = None
