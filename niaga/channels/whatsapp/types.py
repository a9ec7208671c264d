"""Typed, frozen webhook items: what domain code sees instead of Meta's raw JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class _Item(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    waba_id: str | None = None
    phone_number_id: str | None = None
    display_phone_number: str | None = None


class ErrorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One of Meta's error objects (FACTS.md §3.1)."""

    code: int
    title: str | None = None
    message: str | None = None
    details: str | None = None
    href: str | None = None


class MessageContext(msgspec.Struct, frozen=True, kw_only=True):
    """What an inbound message refers to: a quoted message, a forward, a product."""

    reply_to_wamid: str | None = None
    reply_to_from: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    referred_product: dict[str, Any] | None = None


class InboundMessage(_Item, frozen=True, kw_only=True):
    """A message a customer sent (``value.messages[]``), of any type."""

    wamid: str
    from_wa_id: str | None = None
    from_user_id: str | None = None
    profile_name: str | None = None
    username: str | None = None
    parent_user_id: str | None = None
    timestamp: datetime
    type: str
    subtype: str | None = None
    text: str | None = None
    content: dict[str, Any] = msgspec.field(default_factory=dict)
    context: MessageContext | None = None
    referral: dict[str, Any] | None = None
    errors: tuple[ErrorInfo, ...] = ()
    media_id: str | None = None
    mime_type: str | None = None
    is_edit: bool = False
    is_revoke: bool = False
    target_wamid: str | None = None
    raw: dict[str, Any] = msgspec.field(default_factory=dict)


class Pricing(msgspec.Struct, frozen=True, kw_only=True):
    """Per-message pricing on a status (``billable`` is being deprecated by Meta)."""

    billable: bool | None = None
    pricing_model: str | None = None
    type: str | None = None
    category: str | None = None


class StatusUpdate(_Item, frozen=True, kw_only=True):
    """A delivery status of a message the business sent (``value.statuses[]``)."""

    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_type: str | None = None
    recipient_participant_id: str | None = None
    errors: tuple[ErrorInfo, ...] = ()
    pricing: Pricing | None = None
    conversation: dict[str, Any] | None = None
    biz_opaque_callback_data: str | None = None
    raw: dict[str, Any] = msgspec.field(default_factory=dict)


class ChangeError(_Item, frozen=True, kw_only=True):
    """System-level errors of a change (``value.errors[]``)."""

    errors: tuple[ErrorInfo, ...] = ()


class TemplateStatusUpdate(_Item, frozen=True, kw_only=True):
    """``message_template_status_update``: approved, rejected, paused, disabled…"""

    event: str
    template_id: str | None = None
    name: str
    language: str
    reason: str | None = None
    category: str | None = None
    rejection_info: dict[str, Any] | None = None
    timestamp: datetime | None = None


class TemplateQualityUpdate(_Item, frozen=True, kw_only=True):
    """``message_template_quality_update``."""

    template_id: str | None = None
    name: str
    language: str
    previous_quality: str | None = None
    new_quality: str | None = None


class UserPreference(_Item, frozen=True, kw_only=True):
    """``user_preferences``: a customer stopped or resumed marketing messages."""

    wa_id: str | None = None
    user_id: str | None = None
    category: str | None = None
    value: str
    detail: str | None = None
    timestamp: datetime | None = None


class AccountUpdate(_Item, frozen=True, kw_only=True):
    """Account-level notifications (``account_update``, quality, capability, alerts…)."""

    event: str | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    timestamp: datetime | None = None


class UnknownChange(_Item, frozen=True, kw_only=True):
    """Anything Niaga does not model (yet), kept whole."""

    value: Any = None
    reason: str | None = None


WebhookItem = (
    InboundMessage
    | StatusUpdate
    | ChangeError
    | TemplateStatusUpdate
    | TemplateQualityUpdate
    | UserPreference
    | AccountUpdate
    | UnknownChange
)


class ParsedWebhook(msgspec.Struct, frozen=True, kw_only=True):
    """Every item of one webhook POST, in order."""

    object: str
    items: tuple[WebhookItem, ...]


__all__ = [
    "AccountUpdate",
    "ChangeError",
    "ErrorInfo",
    "InboundMessage",
    "MessageContext",
    "ParsedWebhook",
    "Pricing",
    "StatusUpdate",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
    "UnknownChange",
    "UserPreference",
    "WebhookItem",
]
