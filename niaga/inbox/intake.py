"""The inbox's intake: apply parsed webhook items, a batch at a time (DESIGN.md §1 and §3).

:func:`apply_items` takes every item of a batch of stored webhooks and applies them with a
handful of statements per batch: contacts and conversations are looked up together and created
with ``ON CONFLICT DO NOTHING``, messages inserted in one statement, conversations refreshed in
one flush, statuses moved forward by one UPDATE (:mod:`niaga.inbox.statuses`). Rare items
(edits, revokes, number changes, account updates) take :func:`handle_item`, the one-by-one path
that the processor also falls back to when a batch fails.

Every step is idempotent (a wamid is stored once, a status pair once) and order-independent
(windows and previews follow the newest timestamp, not the order of arrival), so a batch may
be applied again after a crash, and two workers may apply overlapping batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.channels.content import Media, Text, dump_referral
from niaga.channels.content import dump as dump_content
from niaga.channels.whatsapp import account
from niaga.channels.whatsapp.types import (
    AccountUpdate,
    ChangeError,
    InboundMessage,
    StatusUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownChange,
    UserPreference,
    WebhookItem,
)
from niaga.contacts import service as contacts
from niaga.contacts.models import Contact
from niaga.core import clock, events
from niaga.core.db import insert_ignoring_conflicts
from niaga.core.phone import e164_from_wa_id
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation, Message
from niaga.inbox.statuses import chunks, do_record_statuses
from niaga.security import guard, policy
from niaga.templates import service as templates


def guarded(msg: InboundMessage) -> InboundMessage:
    """``msg`` with card numbers, NIK, bank accounts and passwords masked in its text."""
    if not msg.text or not guard.findings(msg.text):
        return msg
    content = msg.content
    if isinstance(content, Text):
        content = msgspec.structs.replace(content, body=guard.masked(content.body))
    elif isinstance(content, Media) and content.caption:
        content = msgspec.structs.replace(content, caption=guard.masked(content.caption))
    return msgspec.structs.replace(msg, text=guard.masked(msg.text), content=content)


def _masking(session: Session) -> bool:
    return policy.load(session).guard_mask_inbound


def handle_item(session: Session, item: WebhookItem) -> None:
    """Apply one parsed webhook item through the domain services (the one-by-one path)."""
    match item:
        case InboundMessage():
            inbox.do_record_inbound(session, guarded(item) if _masking(session) else item)
        case StatusUpdate():
            do_record_statuses(session, [item])
        case TemplateStatusUpdate():
            templates.do_record_review(session, item)
        case TemplateQualityUpdate():
            templates.do_record_quality(session, item)
        case UserPreference():
            contacts.do_set_marketing_preference(
                session,
                wa_id=item.wa_id,
                user_id=item.user_id,
                value=item.value,
                at=item.timestamp or clock.now(),
                detail=item.detail,
            )
        case ChangeError():
            account.do_record_account_event(
                session,
                field=f"{item.field}.errors",
                event=",".join(str(e.code) for e in item.errors),
                waba_id=item.waba_id,
                payload={"errors": [_error_dict(e) for e in item.errors]},
                at=None,
            )
        case AccountUpdate():
            account.do_record_account_event(
                session,
                field=item.field,
                event=item.event,
                waba_id=item.waba_id,
                payload=item.payload,
                at=item.timestamp,
            )
        case UnknownChange():
            account.do_record_account_event(
                session,
                field=item.field or "unknown",
                event="unknown",
                waba_id=item.waba_id,
                payload={"value": item.value, "reason": item.reason},
                at=None,
            )


def _error_dict(e: object) -> dict[str, object]:
    return {k: getattr(e, k, None) for k in ("code", "title", "message", "details", "href")}


def apply_items(session: Session, items: Sequence[WebhookItem]) -> None:
    """Apply a batch of parsed items: inbound messages and statuses in sets, the rest singly."""
    inbound = [i for i in items if isinstance(i, InboundMessage)]
    statuses = [i for i in items if isinstance(i, StatusUpdate)]
    simple = [m for m in inbound if _is_simple(m)]
    if simple:
        if _masking(session):
            simple = [guarded(m) for m in simple]
        do_record_inbound_batch(session, simple)
    for item in items:
        if isinstance(item, StatusUpdate) or (
            isinstance(item, InboundMessage) and _is_simple(item)
        ):
            continue
        handle_item(session, item)
    if statuses:
        do_record_statuses(session, statuses)


def _is_simple(msg: InboundMessage) -> bool:
    """A plain new message from a number (no edit, revoke or number change)."""
    return bool(msg.from_wa_id) and not (msg.is_edit or msg.is_revoke or msg.type == "system")


@dataclass
class _Thread:
    """The contact and conversation of a batch's messages from one customer."""

    contact: Contact
    conversation: Conversation
    messages: list[tuple[InboundMessage, int]] = field(default_factory=list)


def do_record_inbound_batch(session: Session, batch: Sequence[InboundMessage]) -> int:
    """Store new inbound messages once each (dedupe by wamid); returns how many were new.

    Items must be :func:`_is_simple`. Contacts, conversations and messages are created with
    ``ON CONFLICT DO NOTHING`` and then read back, so a concurrent worker creating the same
    rows changes nothing; windows, previews and unread counts follow the newest timestamp.
    """
    fresh: dict[str, InboundMessage] = {}
    for msg in batch:
        fresh.setdefault(msg.wamid, msg)
    m = Message.__table__
    for part in chunks(list(fresh)):
        for (wamid,) in session.execute(select(m.c.wamid).where(m.c.wamid.in_(part))):
            fresh.pop(wamid, None)
    if not fresh:
        return 0
    msgs = sorted(fresh.values(), key=lambda x: (x.timestamp, x.wamid))
    by_wa_id = _contacts_for(session, msgs)
    threads = _threads_for(session, msgs, by_wa_id)
    now = clock.now()
    rows = []
    for msg in msgs:
        thread = threads[(by_wa_id[msg.from_wa_id or ""].id, msg.phone_number_id or "")]
        context = msg.context
        rows.append(
            {
                "conversation_id": thread.conversation.id,
                "contact_id": thread.contact.id,
                "direction": "in",
                "wamid": msg.wamid,
                "type": msg.type if not msg.subtype else f"{msg.type}:{msg.subtype}",
                "text": msg.text,
                "content": dump_content(msg.content),
                "context_wamid": (context.reply_to_wamid if context else None) or msg.target_wamid,
                "forwarded": bool(context and (context.forwarded or context.frequently_forwarded)),
                "referral": dump_referral(msg.referral),
                "status": "received",
                "origin": "customer",
                "created_at": msg.timestamp,
                "received_at": now,
            }
        )
    stmt = insert_ignoring_conflicts(session, m).returning(m.c.id, m.c.wamid)
    inserted: dict[str, int] = {}
    for part in chunks(rows):
        inserted.update({wamid: mid for mid, wamid in session.execute(stmt, list(part))})
    for msg in msgs:  # a concurrent worker may have stored some first: those are not ours
        if msg.wamid in inserted:
            key = (by_wa_id[msg.from_wa_id or ""].id, msg.phone_number_id or "")
            threads[key].messages.append((msg, inserted[msg.wamid]))
    for thread in threads.values():
        _refresh_thread(session, thread)
    session.flush()
    return len(inserted)


def _contacts_for(session: Session, msgs: Sequence[InboundMessage]) -> dict[str, Contact]:
    """Every sender's contact by ``wa_id``, created where missing; profiles refreshed."""
    wa_ids = sorted({m.from_wa_id for m in msgs if m.from_wa_id})
    user_ids = sorted({m.from_user_id for m in msgs if m.from_user_id})
    phones = sorted({p for p in map(e164_from_wa_id, wa_ids) if p})

    def load() -> list[Contact]:
        found: list[Contact] = []
        for column, values in (
            (Contact.wa_id, wa_ids),
            (Contact.user_id, user_ids),
            (Contact.phone, phones),
        ):
            for part in chunks(values):
                found += session.scalars(select(Contact).where(column.in_(part))).all()
        return found

    known = load()
    have_wa = {c.wa_id for c in known}
    have_user = {c.user_id for c in known if c.user_id}
    have_phone = {c.phone for c in known if c.phone and not c.wa_id}
    missing: dict[str, dict[str, Any]] = {}
    for msg in msgs:
        wa_id = msg.from_wa_id or ""
        if (
            wa_id in have_wa
            or (msg.from_user_id and msg.from_user_id in have_user)
            or e164_from_wa_id(wa_id) in have_phone
        ):
            continue
        missing.setdefault(
            wa_id,
            {"wa_id": wa_id, "phone": e164_from_wa_id(wa_id), "user_id": msg.from_user_id},
        )
    if missing:
        now = clock.now()
        rows = [{**missing[k], "created_at": now, "updated_at": now} for k in sorted(missing)]
        session.execute(insert_ignoring_conflicts(session, Contact.__table__), rows)
        known = load()
    by_wa: dict[str, Contact] = {}
    by_user = {c.user_id: c for c in known if c.user_id}
    by_wa_id = {c.wa_id: c for c in known if c.wa_id}
    # A contact known by its number only (added by hand or imported) gets its wa_id now.
    by_phone = {c.phone: c for c in known if c.phone and not c.wa_id}
    for msg in msgs:
        wa_id = msg.from_wa_id or ""
        contact = (
            (by_user.get(msg.from_user_id) if msg.from_user_id else None)
            or by_wa_id.get(wa_id)
            or by_phone.get(e164_from_wa_id(wa_id) or "")
        )
        if contact is None:  # a clash on the phone number (a changed number): the slow path
            contact = contacts.do_upsert_contact_from_whatsapp(
                session,
                wa_id=wa_id,
                user_id=msg.from_user_id,
                parent_user_id=msg.parent_user_id,
                profile_name=msg.profile_name,
                username=msg.username,
            )
        else:
            contacts.refresh_from_whatsapp(
                contact,
                wa_id,
                msg.from_user_id,
                msg.parent_user_id,
                msg.profile_name,
                msg.username,
            )
        by_wa[wa_id] = contact
    return by_wa


def _threads_for(
    session: Session, msgs: Sequence[InboundMessage], by_wa_id: dict[str, Contact]
) -> dict[tuple[int, str], _Thread]:
    """Each (contact, business number)'s conversation, created where missing."""
    wanted = {(by_wa_id[m.from_wa_id or ""].id, m.phone_number_id or "") for m in msgs}
    convs = inbox.do_conversations(session, wanted)
    contacts_by_id = {c.id: c for c in by_wa_id.values()}
    return {key: _Thread(contacts_by_id[key[0]], convs[key]) for key in sorted(wanted)}


def _refresh_thread(session: Session, thread: _Thread) -> None:
    """Windows, unread count, status, queue position and preview after the new messages."""
    contact, conversation = thread.contact, thread.conversation
    for msg, message_id in thread.messages:
        inbox.touch_window(contact, conversation, msg.timestamp)
        conversation.unread_count = (conversation.unread_count or 0) + 1
        if conversation.status == "resolved":
            conversation.status = "open"
            conversation.resolved_at = None
        if conversation.assigned_user_id is None and conversation.waiting_since is None:
            conversation.waiting_since = msg.timestamp
        if clock.as_utc(conversation.last_message_at) == msg.timestamp:
            kind = msg.type if not msg.subtype else f"{msg.type}:{msg.subtype}"
            conversation.last_message_preview = inbox.preview(kind, msg.text)
            conversation.last_message_direction = "in"
        if msg.referral:
            conversation.last_referral = dump_referral(msg.referral)
        events.emit_on_commit(
            session,
            events.MESSAGE_RECEIVED,
            message_id=message_id,
            conversation_id=conversation.id,
            contact_id=contact.id,
        )
