"""Reads for contacts, conversations and messages."""

from __future__ import annotations

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, object_session

from niaga.contacts.models import Contact, Label
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.inbox.schemas import ContactPublic, ConversationLabelPublic, ConversationPublic
from niaga.inbox.window import window_expiry, window_open


def list_contacts(
    session: Session, *, phone: str | None, limit: int, before_id: int | None
) -> list[Contact]:
    """Contacts, newest first; ``phone`` filters by E.164 number."""
    stmt = select(Contact).order_by(Contact.id.desc()).limit(limit)
    if phone:
        stmt = stmt.where(Contact.phone == phone)
    if before_id:
        stmt = stmt.where(Contact.id < before_id)
    return list(session.scalars(stmt))


def list_conversations(
    session: Session, *, status: str | None, contact_id: int | None, limit: int, offset: int
) -> list[Conversation]:
    """Conversations with the newest activity first."""
    stmt = (
        select(Conversation)
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if status:
        stmt = stmt.where(Conversation.status == status)
    if contact_id:
        stmt = stmt.where(Conversation.contact_id == contact_id)
    return list(session.scalars(stmt).unique())


def conversation_labels(session: Session, conversation_id: int) -> list[ConversationLabelPublic]:
    """A conversation's labels, oldest first, with the rule that added each (if any)."""
    rows = session.execute(
        select(Label.name, Label.color, ConversationLabel.rule_id)
        .join(ConversationLabel, ConversationLabel.label_id == Label.id)
        .where(ConversationLabel.conversation_id == conversation_id)
        .order_by(ConversationLabel.id)
    )
    return [ConversationLabelPublic(name=n, color=c, rule_id=r) for n, c, r in rows]


def conversation_public(conversation: Conversation) -> ConversationPublic:
    """The API view of a conversation, with its window state computed now."""
    session = object_session(conversation)
    return ConversationPublic(
        id=conversation.id,
        contact=ContactPublic.model_validate(conversation.contact),
        phone_number_id=conversation.phone_number_id,
        status=conversation.status,
        unread_count=conversation.unread_count,
        last_message_at=conversation.last_message_at,
        last_inbound_at=conversation.last_inbound_at,
        window_open=window_open(conversation.last_inbound_at),
        window_expires_at=window_expiry(conversation.last_inbound_at),
        created_at=conversation.created_at,
        labels=conversation_labels(session, conversation.id) if session is not None else [],
        assigned_user_id=conversation.assigned_user_id,
        team_id=conversation.team_id,
    )


def list_messages(
    session: Session, conversation_id: int, *, limit: int, before_id: int | None
) -> list[Message]:
    """A conversation's messages, newest first."""
    stmt = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    if before_id:
        anchor = session.get(Message, before_id)
        if anchor is not None:
            stmt = stmt.where(
                tuple_(Message.created_at, Message.id) < tuple_(anchor.created_at, anchor.id)
            )
    return list(session.scalars(stmt))


def get_message_by_wamid(session: Session, wamid: str) -> Message | None:
    """The message Meta knows as ``wamid``."""
    return session.scalars(select(Message).where(Message.wamid == wamid)).first()
