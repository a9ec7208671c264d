"""Commands on conversations and messages: record what Meta reports, queue what we send."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.channels.content import Edit, NumberChange, dump_referral
from niaga.channels.content import dump as dump_content
from niaga.channels.whatsapp.outgoing import OutgoingMessage, TextMessage
from niaga.channels.whatsapp.types import InboundMessage
from niaga.contacts import service as contacts
from niaga.contacts.models import Contact
from niaga.core import clock, events
from niaga.core.db import insert_ignoring_conflicts
from niaga.core.errors import ConflictError, DomainError
from niaga.inbox.models import Conversation, Message
from niaga.inbox.statuses import chunks
from niaga.inbox.window import window_expiry, window_open
from niaga.outbox import service as outbox


class WindowClosedError(ConflictError):
    """A free-form message was asked for outside the 24-hour customer-service window."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation_id = conversation.id
        self.closed_at = window_expiry(conversation.last_inbound_at)
        extra = {
            "window_closed": True,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }
        if self.closed_at is None:
            super().__init__(
                "window_closed",
                "The 24-hour customer-service window has never been opened: the customer has "
                "not written yet. Send an approved template instead.",
                extra=extra,
            )
        else:
            super().__init__(
                "window_closed",
                "The 24-hour customer-service window is closed since {closed_at}. "
                "Send an approved template instead.",
                extra=extra,
                closed_at=self.closed_at.isoformat(),
            )


class NotSendableError(DomainError):
    """The conversation's contact cannot be messaged (no WhatsApp id)."""

    def __init__(self) -> None:
        super().__init__(
            "not_sendable", "This contact has no WhatsApp ID, so it cannot be messaged."
        )


def do_get_or_create_conversation(
    session: Session, contact: Contact, phone_number_id: str
) -> Conversation:
    """The thread between ``contact`` and the business number, created on first use."""
    stmt = select(Conversation).where(
        Conversation.contact_id == contact.id, Conversation.phone_number_id == phone_number_id
    )
    conversation = session.scalars(stmt).first()
    if conversation is not None:
        return conversation
    conversation = Conversation(contact=contact, phone_number_id=phone_number_id, status="open")
    try:
        with session.begin_nested():
            session.add(conversation)
            session.flush()
    except IntegrityError:
        return session.scalars(stmt).one()
    events.emit_on_commit(session, events.CONVERSATION_CREATED, conversation_id=conversation.id)
    return conversation


def do_conversations(
    session: Session, wanted: set[tuple[int, str]]
) -> dict[tuple[int, str], Conversation]:
    """The thread of each (contact id, business number) in ``wanted``, the missing ones
    created in one statement (a concurrent creator wins the unique key; its row is used)."""

    def load() -> dict[tuple[int, str], Conversation]:
        found: dict[tuple[int, str], Conversation] = {}
        for part in chunks(sorted({c for c, _ in wanted})):
            for conv in session.scalars(
                select(Conversation).where(Conversation.contact_id.in_(part))
            ):
                found[(conv.contact_id, conv.phone_number_id)] = conv
        return found

    convs = load()
    missing = sorted(wanted - set(convs))
    if missing:
        now = clock.now()
        table = Conversation.__table__
        stmt = insert_ignoring_conflicts(session, table).returning(table.c.id)
        created = session.execute(
            stmt,
            [
                {
                    "contact_id": c,
                    "phone_number_id": p,
                    "status": "open",
                    "unread_count": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for c, p in missing
            ],
        ).all()
        for (conversation_id,) in created:
            events.emit_on_commit(
                session, events.CONVERSATION_CREATED, conversation_id=conversation_id
            )
        convs = load()
    return {key: convs[key] for key in wanted}


def do_record_inbound(session: Session, msg: InboundMessage) -> Message | None:
    """Store an inbound message once (dedupe by wamid) and refresh contact and window.

    Returns the new message, or ``None`` when this wamid was already recorded.
    """
    if session.scalars(select(Message.id).where(Message.wamid == msg.wamid)).first():
        return None
    contact = contacts.do_upsert_contact_from_whatsapp(
        session,
        wa_id=msg.from_wa_id,
        user_id=msg.from_user_id,
        parent_user_id=msg.parent_user_id,
        profile_name=msg.profile_name,
        username=msg.username,
    )
    conversation = do_get_or_create_conversation(session, contact, msg.phone_number_id or "")
    if msg.is_edit or msg.is_revoke:
        _apply_edit_or_revoke(session, msg)
    if isinstance(msg.content, NumberChange) and msg.content.new_number:
        contacts.do_change_number(session, contact, msg.content.new_number)
    context = msg.context
    message = Message(
        conversation=conversation,
        contact_id=contact.id,
        direction="in",
        wamid=msg.wamid,
        type=msg.type if not msg.subtype else f"{msg.type}:{msg.subtype}",
        text=msg.text,
        content=dump_content(msg.content),
        context_wamid=(context.reply_to_wamid if context else None) or msg.target_wamid,
        forwarded=bool(context and (context.forwarded or context.frequently_forwarded)),
        referral=dump_referral(msg.referral),
        status="received",
        origin="customer",
        created_at=msg.timestamp,
        received_at=clock.now(),
    )
    # A concurrent processor inserting the same wamid makes this flush fail; the caller's
    # savepoint rolls the event back and the retry then finds the message already there.
    session.add(message)
    session.flush()
    touch_window(contact, conversation, msg.timestamp)
    conversation.unread_count += 1
    if conversation.status == "resolved":
        conversation.status = "open"
        conversation.resolved_at = None
    if conversation.assigned_user_id is None and conversation.waiting_since is None:
        conversation.waiting_since = msg.timestamp
    if clock.as_utc(conversation.last_message_at) == msg.timestamp:
        conversation.last_message_preview = preview(message.type, message.text)
        conversation.last_message_direction = "in"
    if msg.referral:
        conversation.last_referral = dump_referral(msg.referral)
    events.emit_on_commit(
        session,
        events.MESSAGE_RECEIVED,
        message_id=message.id,
        conversation_id=conversation.id,
        contact_id=contact.id,
    )
    return message


def preview(message_type: str, text: str | None, limit: int = 120) -> str:
    """A one-line summary of a message for the conversation list."""
    if text:
        line = " ".join(text.split())
        return line if len(line) <= limit else line[: limit - 1] + "…"
    return f"[{message_type.split(':')[0]}]"


def touch_window(contact: Contact, conversation: Conversation, at: datetime) -> None:
    """Move the 24-hour windows and the last activity forward to ``at`` (never back)."""
    if conversation.last_inbound_at is None or clock.as_utc(conversation.last_inbound_at) < at:
        conversation.last_inbound_at = at
    if contact.last_inbound_at is None or clock.as_utc(contact.last_inbound_at) < at:
        contact.last_inbound_at = at
    if conversation.last_message_at is None or clock.as_utc(conversation.last_message_at) < at:
        conversation.last_message_at = at


def _apply_edit_or_revoke(session: Session, msg: InboundMessage) -> None:
    if not msg.target_wamid:
        return
    target = session.scalars(select(Message).where(Message.wamid == msg.target_wamid)).first()
    if target is None:
        return
    before = target.inbound
    if msg.is_revoke:
        target.text = None
        if before is not None:
            target.content = dump_content(msgspec.structs.replace(before, revoked=True))
    else:
        target.text = msg.text
        if before is not None:
            edit = Edit(text=msg.text, at=msg.timestamp)
            target.content = dump_content(
                msgspec.structs.replace(before, edits=(*before.edits, edit))
            )


def do_send_message(
    session: Session,
    conversation: Conversation,
    outgoing: OutgoingMessage,
    *,
    origin: str = "agent",
    user_id: int | None = None,
    idempotency_key: str | None = None,
    reply_to_wamid: str | None = None,
    new_key: bool = False,
) -> Message:
    """Queue ``outgoing`` in the conversation: a pending message plus its outbox row.

    Refuses free-form messages outside the 24-hour window before anything is sent. The same
    ``idempotency_key`` twice returns the first message and queues nothing more. ``new_key``:
    the caller knows the key was never used (no lookup; the unique index still guards it).
    """
    key = idempotency_key or f"msg-{uuid.uuid4().hex}"
    existing = None if new_key or idempotency_key is None else outbox.find_by_key(session, key)
    if existing is not None and existing.message_id is not None:
        return session.get_one(Message, existing.message_id)
    to = check_sendable(conversation, outgoing)
    message = _outbound(conversation, outgoing, origin, user_id, reply_to_wamid)
    session.add(message)
    session.flush()
    outbox.do_enqueue(
        session,
        idempotency_key=key,
        phone_number_id=conversation.phone_number_id,
        recipient=to,
        message=message.content,
        reply_to_wamid=reply_to_wamid,
        message_id=message.id,
        key_checked=existing is None,
    )
    _queued(session, conversation, message)
    return message


def latest_conversation(
    session: Session, contact_id: int, phone_number_id: str | None = None
) -> Conversation | None:
    """The customer's chat (with the business number ``phone_number_id`` when given), the one
    they wrote in last first."""
    stmt = select(Conversation).where(Conversation.contact_id == contact_id)
    if phone_number_id is not None:
        stmt = stmt.where(Conversation.phone_number_id == phone_number_id)
    return session.scalars(
        stmt.order_by(Conversation.last_inbound_at.desc().nulls_last(), Conversation.id).limit(1)
    ).first()


def do_send_text_in_window(
    session: Session,
    contact_id: int,
    text: str,
    *,
    idempotency_key: str,
    phone_number_id: str | None = None,
    origin: str = "automation",
) -> Message | None:
    """Queue a free-form ``text`` to the customer while their 24-hour window is open; None
    (nothing queued) when it is closed, they have no chat, or they cannot be messaged. For
    courtesy messages that would need a template of their own outside the window."""
    conversation = latest_conversation(session, contact_id, phone_number_id)
    if conversation is None or not window_open(conversation.last_inbound_at):
        return None
    try:
        return do_send_message(
            session,
            conversation,
            TextMessage(body=text),
            origin=origin,
            idempotency_key=idempotency_key,
        )
    except (WindowClosedError, NotSendableError):
        return None


def check_sendable(conversation: Conversation, outgoing: OutgoingMessage) -> str:
    """The recipient's WhatsApp id; refuses a free-form message outside the window."""
    if not outgoing.is_template and not window_open(conversation.last_inbound_at):
        raise WindowClosedError(conversation)
    contact = conversation.contact
    to = contact.wa_id or contact.user_id
    if not to:
        raise NotSendableError()
    return to


def _outbound_row(
    conversation: Conversation,
    outgoing: OutgoingMessage,
    origin: str,
    user_id: int | None = None,
    reply_to_wamid: str | None = None,
) -> dict[str, Any]:
    now = clock.now()
    return {
        "conversation_id": conversation.id,
        "contact_id": conversation.contact_id,
        "direction": "out",
        "type": outgoing.message_type,
        "text": outgoing.summary_text(),
        "content": outgoing.model_dump(mode="json"),
        "context_wamid": reply_to_wamid,
        "status": "pending",
        "origin": origin,
        "sent_by_user_id": user_id,
        "created_at": now,
        "received_at": now,
    }


def _outbound(
    conversation: Conversation,
    outgoing: OutgoingMessage,
    origin: str,
    user_id: int | None = None,
    reply_to_wamid: str | None = None,
) -> Message:
    return Message(**_outbound_row(conversation, outgoing, origin, user_id, reply_to_wamid))


def _queued(session: Session, conversation: Conversation, message: Message) -> None:
    _touch_thread(session, conversation, message.id, message.type, message.text, message.origin)
    conversation.last_message_at = message.created_at


def _touch_thread(
    session: Session,
    conversation: Conversation,
    message_id: int,
    kind: str,
    text: str | None,
    origin: str,
) -> None:
    conversation.last_message_preview = preview(kind, text)
    conversation.last_message_direction = "out"
    events.emit_on_commit(
        session,
        events.MESSAGE_QUEUED,
        message_id=message_id,
        conversation_id=conversation.id,
        origin=origin,
    )


@dataclass
class Send:
    """One message of :func:`do_send_messages`: checked already (:func:`check_sendable`)."""

    conversation: Conversation
    outgoing: OutgoingMessage
    key: str
    recipient: str
    origin: str = "automation"


def do_send_messages(session: Session, sends: list[Send]) -> list[int]:
    """Queue many messages at once (keys the caller knows are new): one insert of the
    messages, one of their outbox rows; same result as :func:`do_send_message` for each.
    Returns the new messages' ids, in the order of ``sends``."""
    if not sends:
        return []
    rows = [_outbound_row(s.conversation, s.outgoing, s.origin) for s in sends]
    table = Message.__table__
    ids = list(
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        ).scalars()
    )
    outbox.do_enqueue_many(
        session,
        [
            {
                "idempotency_key": s.key,
                "phone_number_id": s.conversation.phone_number_id,
                "recipient": s.recipient,
                "message": row["content"],
                "message_id": message_id,
            }
            for s, row, message_id in zip(sends, rows, ids, strict=True)
        ],
    )
    for s, row, message_id in zip(sends, rows, ids, strict=True):
        _touch_thread(session, s.conversation, message_id, row["type"], row["text"], s.origin)
        s.conversation.last_message_at = row["created_at"]
    return ids


def do_mark_read(session: Session, conversation: Conversation) -> None:
    """Mark the latest inbound message read at Meta (blue ticks) and clear the unread count."""
    last_in = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, Message.direction == "in")
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    conversation.unread_count = 0
    received = last_in.inbound if last_in is not None else None
    if last_in is None or received is None or not last_in.wamid or received.read_sent:
        return
    last_in.content = dump_content(msgspec.structs.replace(received, read_sent=True))
    outbox.do_enqueue(
        session,
        idempotency_key=f"read-{last_in.wamid}",
        phone_number_id=conversation.phone_number_id,
        recipient=None,
        message={"wamid": last_in.wamid},
        kind="mark_read",
    )
