"""Parse a WhatsApp Cloud API webhook body into typed items (FACTS.md §1).

The only error raised is :class:`WebhookPayloadError`, for a body that is not JSON or not an
envelope (``object`` string, ``entry`` list). Inside an envelope nothing raises: an entry,
change, message or status Niaga cannot read becomes an :class:`UnknownChange` carrying the
raw JSON and a reason, while its siblings parse normally.

How: the body is decoded once with msgspec; each change's ``value`` is converted into the
lenient ``Wire*`` structs in one call (the fast path). Only when that fails is the value
converted piece by piece, so one malformed message degrades alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from niaga.channels.whatsapp.inbound_content import (
    content_of,
    problems,
    product_ref,
    referral_from_stored,
)
from niaga.channels.whatsapp.types import (
    AccountUpdate,
    ChangeError,
    ErrorInfo,
    InboundMessage,
    MessageContext,
    ParsedWebhook,
    Pricing,
    StatusUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownChange,
    UserPreference,
    WebhookItem,
    WireContact,
    WireContext,
    WireError,
    WireMedia,
    WireMessage,
    WireMessagesValue,
    WireMetadata,
    WireStatus,
    WireTemplateQuality,
    WireTemplateStatus,
    WireUserPreference,
)

__all__ = ["WebhookPayloadError", "parse_webhook"]

_decode = msgspec.json.Decoder().decode
_convert = msgspec.convert

MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
"""Message types whose object is a media object (``id``, ``mime_type``, ``caption``…)."""

ACCOUNT_FIELDS = frozenset(
    {
        "account_update",
        "account_alerts",
        "account_review_update",
        "business_capability_update",
        "phone_number_quality_update",
        "phone_number_name_update",
        "template_category_update",
        "message_template_components_update",
        "security",
        # Meta's Groups API: a group made, its participants, settings, status.
        "group_lifecycle_update",
        "group_participants_update",
        "group_participant_update",
        "group_settings_update",
        "group_status_update",
    }
)
"""Account-level fields kept whole as :class:`AccountUpdate` (``field`` tells which)."""

_W = TypeVar("_W")
_Where = dict[str, Any]
_Out = list[WebhookItem]


class WebhookPayloadError(ValueError):
    """The body is not JSON, or not a WhatsApp webhook envelope."""


def parse_webhook(body: bytes) -> ParsedWebhook:
    """Every item of a webhook body, in order: entries, then changes, then items.

    Raises :class:`WebhookPayloadError` only for a body that is not JSON or not an envelope.
    """
    try:
        data = _decode(body)
    except msgspec.DecodeError as exc:
        raise WebhookPayloadError(f"webhook body is not valid JSON: {exc}") from None
    except RecursionError:
        raise WebhookPayloadError("webhook body is nested too deeply") from None
    if not isinstance(data, dict):
        raise WebhookPayloadError(f"webhook body must be a JSON object, got {type(data).__name__}")
    obj = data.get("object")
    if not isinstance(obj, str):
        raise WebhookPayloadError('webhook envelope has no string "object"')
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise WebhookPayloadError('webhook envelope "entry" is missing or not a list')
    items: _Out = []
    for entry in entries:
        _entry(entry, items)
    return ParsedWebhook(object=obj, items=tuple(items))


# --------------------------------------------------------------------------------------------
# Envelope: entries and changes
# --------------------------------------------------------------------------------------------


def _entry(entry: Any, out: _Out) -> None:
    if not isinstance(entry, dict):
        out.append(UnknownChange(field="", value=entry, reason="entry is not an object"))
        return
    waba_id = _s(entry.get("id"))
    changes = entry.get("changes")
    if not isinstance(changes, list):
        out.append(
            UnknownChange(
                field="", waba_id=waba_id, value=entry, reason="entry has no changes list"
            )
        )
        return
    entry_time = _time(entry.get("time"))
    for change in changes:
        if not isinstance(change, dict):
            out.append(
                UnknownChange(
                    field="", waba_id=waba_id, value=change, reason="change is not an object"
                )
            )
            continue
        field = change.get("field")
        field = field if isinstance(field, str) else ""
        value = change.get("value")
        if not isinstance(value, dict):
            out.append(
                UnknownChange(
                    field=field, waba_id=waba_id, value=value, reason="value is not an object"
                )
            )
            continue
        if not field and "messaging_product" in value:
            field = "messages"
        handler = _HANDLERS.get(field)
        if handler is None:
            handler = _account if field in ACCOUNT_FIELDS else _unmodelled
        produced: _Out = []
        try:
            handler(field, value, waba_id, entry_time, produced)
        except Exception as exc:  # last resort: a bug here must not lose the change
            out.append(UnknownChange(field=field, waba_id=waba_id, value=value, reason=_why(exc)))
        else:
            out.extend(produced)


def _unmodelled(
    field: str, value: dict[str, Any], waba_id: str | None, _t: datetime | None, out: _Out
) -> None:
    out.append(
        UnknownChange(
            field=field, waba_id=waba_id, value=value, reason=f"field {field!r} is not modelled"
        )
    )


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _s(value: Any) -> str | None:
    """A Meta id or text as ``str`` (numbers become strings), ``None`` for empty or odd."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _time(value: Any) -> datetime | None:
    """Unix seconds (string or number) or an ISO 8601 string as an aware UTC datetime."""
    try:
        if type(value) is str:
            if value.isdigit():
                return datetime.fromtimestamp(int(value), UTC)
            if not value:
                return None
            try:
                return datetime.fromtimestamp(float(value), UTC)
            except ValueError:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
                return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _piece(raw: Any, kind: type[_W]) -> _W | str:
    """``raw`` converted to ``kind``, or the reason it could not be."""
    try:
        return _convert(raw, kind)
    except msgspec.ValidationError as exc:
        return f"{kind.__name__}: {exc}"[:500]


def _list(value: dict[str, Any], key: str) -> list[Any]:
    found = value.get(key)
    return found if isinstance(found, list) else []


def _error(e: WireError) -> ErrorInfo:
    code = e.code
    if isinstance(code, str):
        code = int(code) if code.strip().lstrip("-").isdigit() else 0
    return ErrorInfo(
        code=code or 0,
        title=e.title,
        message=e.message,
        details=e.error_data.details if e.error_data is not None else None,
        href=e.href,
    )


def _errors(errors: list[WireError] | None) -> tuple[ErrorInfo, ...]:
    return tuple(_error(e) for e in errors) if errors else ()


# --------------------------------------------------------------------------------------------
# field = messages (inbound messages, statuses, change-level errors)
# --------------------------------------------------------------------------------------------


def _messages(
    field: str, value: dict[str, Any], waba_id: str | None, _t: datetime | None, out: _Out
) -> None:
    try:
        wire = _convert(value, WireMessagesValue)
    except msgspec.ValidationError:
        _messages_piecewise(field, value, waba_id, out)
        return
    meta = wire.metadata
    where: _Where = {
        "field": field,
        "waba_id": waba_id,
        "phone_number_id": _s(meta.phone_number_id) if meta else None,
        "display_phone_number": _s(meta.display_phone_number) if meta else None,
    }
    contacts = wire.contacts or []
    seen = False
    if wire.messages:
        seen = True
        for msg, raw in zip(wire.messages, value["messages"], strict=True):
            out.append(_message_or_unknown(msg, raw, contacts, where))
    if wire.statuses:
        seen = True
        for st, raw in zip(wire.statuses, value["statuses"], strict=True):
            out.append(_status_or_unknown(st, raw, where))
    if wire.errors:
        seen = True
        out.append(ChangeError(**where, errors=_errors(wire.errors)))
    if wire.user_preferences:
        seen = True
        for pref in wire.user_preferences:
            out.append(_preference(pref, where))
    if not seen:
        out.append(
            UnknownChange(**where, value=value, reason="no messages, statuses or errors in value")
        )


def _messages_piecewise(field: str, value: dict[str, Any], waba_id: str | None, out: _Out) -> None:
    """Slow path for a value that did not convert whole: one piece at a time."""
    meta = _piece(value.get("metadata"), WireMetadata) if "metadata" in value else None
    if isinstance(meta, str):
        meta = None
    where: _Where = {
        "field": field,
        "waba_id": waba_id,
        "phone_number_id": _s(meta.phone_number_id) if meta else None,
        "display_phone_number": _s(meta.display_phone_number) if meta else None,
    }
    pieces = [_piece(c, WireContact) for c in _list(value, "contacts")]
    contacts = [c for c in pieces if isinstance(c, WireContact)]
    seen = False
    for key in ("messages", "statuses", "user_preferences"):
        found = value.get(key)
        if found is not None and not isinstance(found, list):
            seen = True
            out.append(UnknownChange(**where, value=found, reason=f"{key} is not a list"))
    for raw in _list(value, "messages"):
        seen = True
        msg = _piece(raw, WireMessage)
        if isinstance(msg, str):
            out.append(UnknownChange(**where, value=raw, reason=msg))
        else:
            out.append(_message_or_unknown(msg, raw, contacts, where))
    for raw in _list(value, "statuses"):
        seen = True
        st = _piece(raw, WireStatus)
        if isinstance(st, str):
            out.append(UnknownChange(**where, value=raw, reason=st))
        else:
            out.append(_status_or_unknown(st, raw, where))
    if value.get("errors"):
        seen = True
        errors = [_piece(e, WireError) for e in _list(value, "errors")]
        good = [e for e in errors if isinstance(e, WireError)]
        if good:
            out.append(ChangeError(**where, errors=_errors(good)))
        if len(good) != len(errors) or not isinstance(value["errors"], list):
            out.append(
                UnknownChange(**where, value=value["errors"], reason="unreadable value.errors")
            )
    for raw in _list(value, "user_preferences"):
        seen = True
        pref = _piece(raw, WireUserPreference)
        if isinstance(pref, str):
            out.append(UnknownChange(**where, value=raw, reason=pref))
        else:
            out.append(_preference(pref, where))
    if not seen:
        out.append(
            UnknownChange(**where, value=value, reason="no messages, statuses or errors in value")
        )


def _sender(msg: WireMessage, contacts: list[WireContact]) -> WireContact | None:
    """The ``contacts[]`` entry of the sender, else the only contact."""
    sender, user_id = _s(msg.from_), msg.from_user_id
    for c in contacts:
        if (sender is not None and _s(c.wa_id) == sender) or (
            user_id is not None and c.user_id == user_id
        ):
            return c
    return contacts[0] if len(contacts) == 1 else None


def _context(c: WireContext | None) -> MessageContext | None:
    if c is None:
        return None
    return MessageContext(
        reply_to_wamid=c.id,
        reply_to_from=_s(c.from_),
        forwarded=bool(c.forwarded),
        frequently_forwarded=bool(c.frequently_forwarded),
    )


def _message_or_unknown(
    msg: WireMessage, raw: dict[str, Any], contacts: list[WireContact], where: _Where
) -> InboundMessage | UnknownChange:
    if not msg.id:
        return UnknownChange(**where, value=raw, reason="message has no id")
    try:
        return _message(msg, raw, contacts, where)
    except Exception as exc:  # never lose a message to a shape we did not foresee
        return UnknownChange(**where, value=raw, reason=_why(exc))


def _message(
    msg: WireMessage, raw: dict[str, Any], contacts: list[WireContact], where: _Where
) -> InboundMessage:
    kind = msg.type or "unknown"
    text, subtype, media, target = _content(kind, msg)
    content = content_of(kind, msg)
    if msg.errors or (msg.context is not None and msg.context.referred_product is not None):
        content = msgspec.structs.replace(
            content,
            problems=problems(_errors(msg.errors)),
            asked_about=product_ref(msg.context.referred_product if msg.context else None),
        )
    # Only values that differ from the struct's defaults are passed: msgspec builds the
    # struct noticeably faster with fewer keywords, and this is the hot path.
    kw: dict[str, Any] = {
        **where,
        "wamid": msg.id,
        "type": kind,
        "content": content,
        "raw": raw,
        # A message always has a timestamp; if Meta ever omits it, the receive time will do.
        "timestamp": _time(msg.timestamp) or datetime.now(UTC),
    }
    sender = msg.from_
    if sender is not None:
        kw["from_wa_id"] = sender if type(sender) is str else _s(sender)
    if msg.from_user_id is not None:
        kw["from_user_id"] = msg.from_user_id
    contact = _sender(msg, contacts) if contacts else None
    if contact is not None:
        if sender is None and contact.wa_id is not None:
            kw["from_wa_id"] = _s(contact.wa_id)
        if msg.from_user_id is None and contact.user_id is not None:
            kw["from_user_id"] = contact.user_id
        profile = contact.profile
        if profile is not None:
            kw["profile_name"] = profile.name
            kw["username"] = profile.username or contact.username
        else:
            kw["username"] = contact.username
        kw["parent_user_id"] = contact.parent_user_id
    if text:  # an empty caption or order text is no text
        kw["text"] = text
    if subtype is not None:
        kw["subtype"] = subtype
    if media is not None:
        kw["media_id"] = _s(media.id)
        kw["mime_type"] = media.mime_type
    if target is not None:
        kw["target_wamid"] = target
    if msg.context is not None:
        kw["context"] = _context(msg.context)
    if msg.referral is not None:
        kw["referral"] = referral_from_stored(msg.referral)
    if msg.errors:
        kw["errors"] = _errors(msg.errors)
    if kind == "edit":
        kw["is_edit"] = True
    elif kind == "revoke":
        kw["is_revoke"] = True
    return InboundMessage(**kw)


_Content = tuple[str | None, str | None, WireMedia | None, str | None]
"""text, subtype, media object, target wamid."""


def _content(kind: str, msg: WireMessage) -> _Content:
    """Type-specific text, subtype, media and target of a message."""
    if kind == "text":
        return (msg.text.body if msg.text else None), None, None, None
    if kind in MEDIA_TYPES:
        media: WireMedia | None = getattr(msg, kind)
        if media is None:
            return None, None, None, None
        subtype = "voice" if kind == "audio" and media.voice else None
        return media.caption or media.filename, subtype, media, None
    if kind == "interactive":
        return _interactive(msg)
    if kind == "button":
        return (msg.button.text if msg.button else None), None, None, None
    if kind == "order":
        return (msg.order.text if msg.order else None), None, None, None
    if kind == "reaction":
        r = msg.reaction
        emoji = r.emoji if r is not None and r.emoji else None
        target = r.message_id if r is not None else None
        return emoji, (None if emoji else "unreact"), None, target
    if kind == "location":
        loc = msg.location
        if loc is None:
            return None, None, None, None
        label = ", ".join(p for p in (loc.name, loc.address) if p)
        if not label and loc.latitude is not None and loc.longitude is not None:
            label = f"{loc.latitude},{loc.longitude}"
        return label or None, None, None, None
    if kind == "contacts":
        cards = msg.contacts or []
        names = [c.name.formatted_name for c in cards if c.name and c.name.formatted_name]
        return ", ".join(names) or None, None, None, None
    if kind == "system":
        system = msg.system
        if system is None:
            return None, None, None, None
        return system.body, system.type, None, None
    if kind == "edit":
        return _edit(msg)
    if kind == "revoke":
        target = msg.revoke.original_message_id if msg.revoke else None
        return None, None, None, target
    if kind in ("unsupported", "unknown"):
        sub = msg.unsupported.type if msg.unsupported else None
        return None, sub, None, None
    # A type Niaga does not know yet: the raw message keeps its object.
    return None, None, None, None


def _interactive(msg: WireMessage) -> _Content:
    inter = msg.interactive
    sub = inter.type if inter is not None else None
    text: str | None = None
    if inter is not None:
        if sub == "button_reply" and inter.button_reply is not None:
            text = inter.button_reply.title
        elif sub == "list_reply" and inter.list_reply is not None:
            text = inter.list_reply.title
        elif sub == "nfm_reply" and inter.nfm_reply is not None:
            text = inter.nfm_reply.body
    return text, sub, None, None


def _edit(msg: WireMessage) -> _Content:
    edit = msg.edit
    if edit is None:
        return None, None, None, None
    inner = edit.message
    text: str | None = None
    media: WireMedia | None = None
    sub = inner.type if inner is not None else None
    if inner is not None:
        if inner.text is not None:
            text = inner.text.body
        for candidate in (inner.image, inner.video, inner.document):
            if candidate is not None:
                media = candidate
                text = text or candidate.caption
                break
    return text, sub, media, edit.original_message_id


# --------------------------------------------------------------------------------------------
# Statuses and preferences
# --------------------------------------------------------------------------------------------


def _status_or_unknown(
    st: WireStatus, raw: dict[str, Any], where: _Where
) -> StatusUpdate | UnknownChange:
    if not st.id or not st.status:
        return UnknownChange(**where, value=raw, reason="status has no id or status")
    p = st.pricing
    return StatusUpdate(
        **where,
        wamid=st.id,
        status=st.status,
        timestamp=_time(st.timestamp) or datetime.now(UTC),
        recipient_id=_s(st.recipient_id),
        recipient_user_id=st.recipient_user_id,
        recipient_type=st.recipient_type,
        recipient_participant_id=_s(st.recipient_participant_id),
        errors=_errors(st.errors),
        pricing=Pricing(
            billable=p.billable, pricing_model=p.pricing_model, type=p.type, category=p.category
        )
        if p is not None
        else None,
        conversation=st.conversation,
        biz_opaque_callback_data=st.biz_opaque_callback_data,
        raw=raw,
    )


def _preference(pref: WireUserPreference, where: _Where) -> UserPreference:
    return UserPreference(
        **where,
        wa_id=_s(pref.wa_id),
        user_id=pref.user_id,
        category=pref.category,
        value=pref.value or "",
        detail=pref.detail,
        timestamp=_time(pref.timestamp),
    )


# --------------------------------------------------------------------------------------------
# Other fields
# --------------------------------------------------------------------------------------------


def _template_status(
    field: str, value: dict[str, Any], waba_id: str | None, t: datetime | None, out: _Out
) -> None:
    w = _piece(value, WireTemplateStatus)
    if isinstance(w, str) or not w.event:
        reason = w if isinstance(w, str) else "template status update has no event"
        out.append(UnknownChange(field=field, waba_id=waba_id, value=value, reason=reason))
        return
    out.append(
        TemplateStatusUpdate(
            field=field,
            waba_id=waba_id,
            event=w.event,
            template_id=_s(w.message_template_id),
            name=w.message_template_name or "",
            language=w.message_template_language or "",
            reason=w.reason,
            category=w.message_template_category,
            rejection_info=w.rejection_info,
            timestamp=t,
        )
    )


def _template_quality(
    field: str, value: dict[str, Any], waba_id: str | None, _t: datetime | None, out: _Out
) -> None:
    w = _piece(value, WireTemplateQuality)
    if isinstance(w, str):
        out.append(UnknownChange(field=field, waba_id=waba_id, value=value, reason=w))
        return
    out.append(
        TemplateQualityUpdate(
            field=field,
            waba_id=waba_id,
            template_id=_s(w.message_template_id),
            name=w.message_template_name or "",
            language=w.message_template_language or "",
            previous_quality=w.previous_quality_score,
            new_quality=w.new_quality_score,
        )
    )


def _account(
    field: str, value: dict[str, Any], waba_id: str | None, t: datetime | None, out: _Out
) -> None:
    out.append(
        AccountUpdate(
            field=field,
            waba_id=waba_id,
            display_phone_number=_s(value.get("display_phone_number")),
            event=_s(value.get("event")),
            payload=value,
            timestamp=t,
        )
    )


_Handler = Callable[[str, dict[str, Any], str | None, datetime | None, _Out], None]

_HANDLERS: dict[str, _Handler] = {
    "messages": _messages,
    "user_preferences": _messages,
    "message_template_status_update": _template_status,
    "message_template_quality_update": _template_quality,
}
