"""Conversation search: contact names, phone digits and message text, on both databases.

A conversation matches ``q`` when its contact's WhatsApp or display name contains it, its
phone contains the query's digits (three or more), or one of its messages (not a private
note) contains it; case-insensitively, as a plain substring (``%`` and ``_`` are literal).

A ``LIKE '%q%'`` scan of a million messages takes far too long, so migration 0002 keeps
trigram indexes: on SQLite FTS5 tables with the trigram tokenizer (``contacts_fts``,
``messages_fts``, kept current by triggers), on PostgreSQL pg_trgm GIN indexes on the same
expressions. The index first says whether few messages match (at most ``MESSAGE_CAP``): then
the list is built from the matching ids. When many match, matches are dense and walking the
newest conversations with ``LIKE`` finds a page of them sooner than collecting every match.
Queries shorter than three characters cannot use a trigram index and always walk.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    union,
)
from sqlalchemy.orm import Session

from niaga.contacts.models import Contact
from niaga.core.text import clean_query
from niaga.inbox.models import Conversation, Message

TRIGRAM = 3
MESSAGE_CAP = 2000

_contacts_fts = table("contacts_fts", column("rowid"))
_messages_fts = table("messages_fts", column("rowid"))


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern with ``\\`` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(text: str) -> str:
    """An FTS5 phrase: with the trigram tokenizer it matches ``text`` as a substring."""
    return '"' + text.replace('"', '""') + '"'


def _like(expr: ColumnElement[str | None], pattern: str, dialect: str) -> ColumnElement[bool]:
    # PostgreSQL's LIKE escapes with a backslash by default; SQLite has no default escape.
    return expr.like(pattern, escape="\\") if dialect == "sqlite" else expr.like(pattern)


def search_condition(session: Session, q: str) -> ColumnElement[bool]:
    """A condition on ``Conversation`` (joined to its ``Contact``) for the search ``q``."""
    cap = MESSAGE_CAP
    needle = clean_query(q).lower()
    digits = "".join(ch for ch in needle if ch.isdigit())
    dialect = session.get_bind().dialect.name
    if len(needle) >= TRIGRAM and _message_matches(session, dialect, needle, cap + 1) <= cap:
        return _by_index(dialect, needle, digits)
    return _by_walking(dialect, needle, digits)


def _message_matches(session: Session, dialect: str, needle: str, limit: int) -> int:
    """How many messages contain ``needle``, counted through the index up to ``limit``."""
    if dialect == "sqlite":
        found = (
            select(_messages_fts.c.rowid)
            .where(literal_column("messages_fts").op("MATCH")(_fts_phrase(needle)))
            .limit(limit)
        )
    else:
        found = (
            select(Message.id)
            .where(
                Message.direction != "note",
                _like(func.lower(Message.text), f"%{escape_like(needle)}%", dialect),
            )
            .limit(limit)
        )
    return session.scalar(select(func.count()).select_from(found.subquery())) or 0


def _by_index(dialect: str, needle: str, digits: str) -> ColumnElement[bool]:
    """Matching conversations from the trigram indexes (few matches)."""
    if dialect == "sqlite":
        query = "{profile_name display_name} : " + _fts_phrase(needle)
        if len(digits) >= TRIGRAM:
            query += " OR phone : " + _fts_phrase(digits)
        contact_ids = select(_contacts_fts.c.rowid).where(
            literal_column("contacts_fts").op("MATCH")(query)
        )
        message_ids = select(_messages_fts.c.rowid).where(
            literal_column("messages_fts").op("MATCH")(_fts_phrase(needle))
        )
        conversation_ids = select(Message.conversation_id).where(Message.id.in_(message_ids))
    else:
        like = f"%{escape_like(needle)}%"
        by_contact = [
            _like(func.lower(Contact.profile_name), like, dialect),
            _like(func.lower(Contact.display_name), like, dialect),
        ]
        if len(digits) >= TRIGRAM:
            by_contact.append(Contact.phone.like(f"%{digits}%"))
        contact_ids = select(Contact.id).where(or_(*by_contact))
        conversation_ids = select(Message.conversation_id).where(
            Message.direction != "note", _like(func.lower(Message.text), like, dialect)
        )
    # One set of ids (a UNION, not an OR of two IN tests): PostgreSQL then joins the few
    # matches instead of testing every conversation against both sets.
    by_contact = select(Conversation.id).where(Conversation.contact_id.in_(contact_ids))
    return Conversation.id.in_(union(by_contact, conversation_ids))


def _by_walking(dialect: str, needle: str, digits: str) -> ColumnElement[bool]:
    """Per-conversation LIKE tests, for a walk over the newest conversations (many matches)."""
    like = f"%{escape_like(needle)}%"
    matches = [
        _like(func.lower(Contact.profile_name), like, dialect),
        _like(func.lower(Contact.display_name), like, dialect),
        exists().where(
            Message.conversation_id == Conversation.id,
            Message.direction != "note",
            _like(func.lower(Message.text), like, dialect),
        ),
    ]
    if len(digits) >= TRIGRAM:
        matches.append(Contact.phone.like(f"%{digits}%"))
    return or_(*matches)
