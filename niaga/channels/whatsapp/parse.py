"""Parse a webhook body into typed items (FACTS.md §1).

The only error raised is :class:`WebhookPayloadError`, for a body that is not JSON or not an
envelope. Inside an envelope nothing raises: an item Niaga cannot read becomes an
:class:`UnknownChange` carrying the raw value, while its siblings parse normally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec

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
)

_decoder = msgspec.json.Decoder()

MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
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
    }
)


class WebhookPayloadError(ValueError):
    """The body is not JSON, or not a WhatsApp webhook envelope."""


def parse_webhook(body: bytes) -> ParsedWebhook:
    """Every item of a webhook body, in order."""
    try:
        data = _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise WebhookPayloadError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookPayloadError("body is not a JSON object")
    obj, entries = data.get("object"), data.get("entry")
    if not isinstance(obj, str) or not isinstance(entries, list):
        raise WebhookPayloadError('envelope needs a string "object" and a list "entry"')
    items: list[WebhookItem] = []
    for entry in entries:
        if not isinstance(entry, dict):
            items.append(UnknownChange(field="", value=entry, reason="entry is not an object"))
            continue
        waba_id = _str(entry.get("id"))
        entry_time = _time(entry.get("time"))
        changes = entry.get("changes")
        if not isinstance(changes, list):
            items.append(UnknownChange(field="", waba_id=waba_id, value=entry, reason="no changes"))
            continue
        for change in changes:
            field = _str(change.get("field")) if isinstance(change, dict) else None
            value = change.get("value") if isinstance(change, dict) else change
            try:
                items.extend(_change(field or "", value, waba_id, entry_time))
            except Exception as exc:
                items.append(
                    UnknownChange(field=field or "", waba_id=waba_id, value=value, reason=_why(exc))
                )
    return ParsedWebhook(object=obj, items=tuple(items))


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.fromtimestamp(int(value), UTC)


def _errors(raw: Any) -> tuple[ErrorInfo, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for e in raw:
        if not isinstance(e, dict) or "code" not in e:
            continue
        data = e.get("error_data")
        out.append(
            ErrorInfo(
                code=int(e["code"]),
                title=_str(e.get("title")),
                message=_str(e.get("message")),
                details=_str(data.get("details")) if isinstance(data, dict) else None,
                href=_str(e.get("href")),
            )
        )
    return tuple(out)


def _change(
    field: str, value: Any, waba_id: str | None, entry_time: datetime | None
) -> Iterator[WebhookItem]:
    if not isinstance(value, dict):
        yield UnknownChange(field=field, waba_id=waba_id, value=value, reason="value not an object")
        return
    if field == "messages" or (not field and "messaging_product" in value):
        yield from _messages_change(field or "messages", value, waba_id)
    elif field == "message_template_status_update":
        yield TemplateStatusUpdate(
            field=field,
            waba_id=waba_id,
            event=str(value["event"]),
            template_id=_str(value.get("message_template_id")),
            name=str(value["message_template_name"]),
            language=str(value["message_template_language"]),
            reason=_str(value.get("reason")),
            category=_str(value.get("message_template_category")),
            rejection_info=value.get("rejection_info")
            if isinstance(value.get("rejection_info"), dict)
            else None,
            timestamp=entry_time,
        )
    elif field == "message_template_quality_update":
        yield TemplateQualityUpdate(
            field=field,
            waba_id=waba_id,
            template_id=_str(value.get("message_template_id")),
            name=str(value["message_template_name"]),
            language=str(value["message_template_language"]),
            previous_quality=_str(value.get("previous_quality_score")),
            new_quality=_str(value.get("new_quality_score")),
        )
    elif field == "user_preferences":
        yield from _preferences(field, value, waba_id)
    elif field in ACCOUNT_FIELDS:
        yield AccountUpdate(
            field=field,
            waba_id=waba_id,
            event=_str(value.get("event")),
            payload=value,
            timestamp=entry_time,
        )
    else:
        yield UnknownChange(field=field, waba_id=waba_id, value=value, reason="unmodelled field")


def _preferences(field: str, value: dict[str, Any], waba_id: str | None) -> Iterator[WebhookItem]:
    meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    for pref in value.get("user_preferences") or []:
        yield UserPreference(
            field=field,
            waba_id=waba_id,
            phone_number_id=_str(meta.get("phone_number_id")),
            display_phone_number=_str(meta.get("display_phone_number")),
            wa_id=_str(pref.get("wa_id")),
            user_id=_str(pref.get("user_id")),
            category=_str(pref.get("category")),
            value=str(pref.get("value", "")),
            detail=_str(pref.get("detail")),
            timestamp=_time(pref.get("timestamp")),
        )


def _messages_change(
    field: str, value: dict[str, Any], waba_id: str | None
) -> Iterator[WebhookItem]:
    meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    where = {
        "field": field,
        "waba_id": waba_id,
        "phone_number_id": _str(meta.get("phone_number_id")),
        "display_phone_number": _str(meta.get("display_phone_number")),
    }
    contacts = [c for c in value.get("contacts") or [] if isinstance(c, dict)]
    known = False
    for msg in value.get("messages") or []:
        known = True
        try:
            yield _message(msg, contacts, where)
        except Exception as exc:
            yield UnknownChange(**where, value=msg, reason=_why(exc))
    for st in value.get("statuses") or []:
        known = True
        try:
            yield _status(st, where)
        except Exception as exc:
            yield UnknownChange(**where, value=st, reason=_why(exc))
    if value.get("errors"):
        known = True
        yield ChangeError(**where, errors=_errors(value["errors"]))
    if value.get("user_preferences"):
        known = True
        yield from _preferences(field, value, waba_id)
    if not known:
        yield UnknownChange(**where, value=value, reason="no messages, statuses or errors")


def _contact_for(msg: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    sender, user_id = msg.get("from"), msg.get("from_user_id")
    for c in contacts:
        if (sender and c.get("wa_id") == sender) or (user_id and c.get("user_id") == user_id):
            return c
    return contacts[0] if len(contacts) == 1 else {}


def _context(raw: Any) -> MessageContext | None:
    if not isinstance(raw, dict):
        return None
    product = raw.get("referred_product")
    return MessageContext(
        reply_to_wamid=_str(raw.get("id")),
        reply_to_from=_str(raw.get("from")),
        forwarded=bool(raw.get("forwarded")),
        frequently_forwarded=bool(raw.get("frequently_forwarded")),
        referred_product=product if isinstance(product, dict) else None,
    )


def _message(
    msg: dict[str, Any], contacts: list[dict[str, Any]], where: dict[str, Any]
) -> InboundMessage:
    contact = _contact_for(msg, contacts)
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    kind = str(msg.get("type") or "unknown")
    body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    fields = _by_type(kind, body, msg)
    referral = msg.get("referral")
    return InboundMessage(
        **where,
        wamid=str(msg["id"]),
        from_wa_id=_str(msg.get("from")) or _str(contact.get("wa_id")),
        from_user_id=_str(msg.get("from_user_id")) or _str(contact.get("user_id")),
        profile_name=_str(profile.get("name")),
        username=_str(profile.get("username")) or _str(contact.get("username")),
        parent_user_id=_str(contact.get("parent_user_id")),
        timestamp=_time(msg.get("timestamp")) or datetime.now(UTC),
        type=kind,
        context=_context(msg.get("context")),
        referral=referral if isinstance(referral, dict) else None,
        errors=_errors(msg.get("errors")),
        raw=msg,
        **fields,
    )


def _by_type(kind: str, body: dict[str, Any], msg: dict[str, Any]) -> dict[str, Any]:
    """Type-specific fields: text, subtype, content, media, edit/revoke/reaction target."""
    out: dict[str, Any] = {"content": dict(body)}
    if kind == "text":
        out["text"] = _str(body.get("body"))
    elif kind in MEDIA_TYPES:
        out["text"] = _str(body.get("caption")) or _str(body.get("filename"))
        out["media_id"] = _str(body.get("id"))
        out["mime_type"] = _str(body.get("mime_type"))
        if kind == "audio" and body.get("voice"):
            out["subtype"] = "voice"
    elif kind == "location":
        out["text"] = (
            _str(body.get("name"))
            or _str(body.get("address"))
            or (f"{body.get('latitude')},{body.get('longitude')}")
        )
    elif kind == "contacts":
        cards = msg.get("contacts") if isinstance(msg.get("contacts"), list) else []
        names = [
            str((c.get("name") or {}).get("formatted_name", ""))
            for c in cards
            if isinstance(c, dict)
        ]
        out["content"] = {"contacts": cards}
        out["text"] = ", ".join(n for n in names if n) or None
    elif kind == "interactive":
        sub = str(body.get("type") or "")
        reply = body.get(sub) if isinstance(body.get(sub), dict) else {}
        out["subtype"] = sub or None
        content: dict[str, Any] = {"type": sub, **reply}
        if sub == "nfm_reply":
            try:
                content["response"] = json.loads(reply.get("response_json") or "{}")
            except ValueError:
                content["response"] = None
            out["text"] = _str(reply.get("body"))
        else:
            out["text"] = _str(reply.get("title"))
        out["content"] = content
    elif kind == "button" or kind == "order":
        out["text"] = _str(body.get("text"))
    elif kind == "reaction":
        emoji = _str(body.get("emoji")) or None
        out["text"] = emoji
        out["subtype"] = None if emoji else "unreact"
        out["target_wamid"] = _str(body.get("message_id"))
    elif kind == "system":
        out["text"] = _str(body.get("body"))
        out["subtype"] = _str(body.get("type"))
        if isinstance(msg.get("identity"), dict):
            out["content"] = {**body, "identity": msg["identity"]}
    elif kind == "edit":
        inner = body.get("message") if isinstance(body.get("message"), dict) else {}
        inner_kind = str(inner.get("type") or "text")
        inner_fields = _by_type(inner_kind, inner.get(inner_kind) or {}, inner)
        out["text"] = inner_fields.get("text")
        out["is_edit"] = True
        out["target_wamid"] = _str(body.get("original_message_id"))
    elif kind == "revoke":
        out["is_revoke"] = True
        out["target_wamid"] = _str(body.get("original_message_id"))
    elif kind in ("unsupported", "unknown"):
        out["subtype"] = _str(body.get("type"))
    return out


def _status(st: dict[str, Any], where: dict[str, Any]) -> StatusUpdate:
    pricing = st.get("pricing")
    conversation = st.get("conversation")
    return StatusUpdate(
        **where,
        wamid=str(st["id"]),
        status=str(st["status"]),
        timestamp=_time(st.get("timestamp")) or datetime.now(UTC),
        recipient_id=_str(st.get("recipient_id")),
        recipient_user_id=_str(st.get("recipient_user_id")),
        recipient_type=_str(st.get("recipient_type")),
        recipient_participant_id=_str(st.get("recipient_participant_id")),
        errors=_errors(st.get("errors")),
        pricing=Pricing(
            billable=pricing.get("billable"),
            pricing_model=_str(pricing.get("pricing_model")),
            type=_str(pricing.get("type")),
            category=_str(pricing.get("category")),
        )
        if isinstance(pricing, dict)
        else None,
        conversation=conversation if isinstance(conversation, dict) else None,
        biz_opaque_callback_data=_str(st.get("biz_opaque_callback_data")),
        raw=st,
    )


__all__ = ["WebhookPayloadError", "parse_webhook"]
