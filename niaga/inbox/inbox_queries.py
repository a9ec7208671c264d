"""Reads behind the team inbox: the filtered conversation list, a thread, the contact panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, tuple_
from sqlalchemy.orm import Session

from niaga.channels.content import Reaction
from niaga.contacts.models import Contact, ContactLabel, Label
from niaga.core.text import clean_query
from niaga.inbox.models import Conversation, ConversationActivity, ConversationLabel, Message
from niaga.inbox.search import search_condition
from niaga.security.models import Team, TeamMember, User

PAGE_SIZE = 50
LABEL_CAP = 2000
THREAD_SIZE = 60
VIEWS = ("all", "mine", "unassigned", "team")


@dataclass
class InboxFilter:
    """What the agent asked the list to show."""

    view: str = "all"
    team_id: int | None = None
    status: str | None = "open"
    label_id: int | None = None
    q: str = ""
    before: tuple[datetime, int] | None = None


@dataclass
class ListRow:
    """One line of the conversation list."""

    conversation: Conversation
    contact: Contact
    labels: list[Label] = field(default_factory=list)
    assignee: str | None = None


def conversation_list(
    session: Session, flt: InboxFilter, user: User, limit: int = PAGE_SIZE
) -> list[ListRow]:
    """Conversations matching ``flt``, newest activity first (keyset pagination)."""
    stmt = select(Conversation, Contact).join(Contact, Contact.id == Conversation.contact_id)
    if flt.status:
        stmt = stmt.where(Conversation.status == flt.status)
    if flt.view == "mine":
        stmt = stmt.where(Conversation.assigned_user_id == user.id)
    elif flt.view == "unassigned":
        stmt = stmt.where(Conversation.assigned_user_id.is_(None))
    elif flt.view == "team":
        if flt.team_id:
            stmt = stmt.where(Conversation.team_id == flt.team_id)
        else:
            mine = select(TeamMember.team_id).where(TeamMember.user_id == user.id)
            stmt = stmt.where(Conversation.team_id.in_(mine))
    if flt.label_id:
        stmt = stmt.where(_labelled(session, flt.label_id))
    if clean_query(flt.q):
        stmt = stmt.where(search_condition(session, flt.q))
    if flt.before:
        stmt = stmt.where(
            tuple_(Conversation.last_message_at, Conversation.id) < tuple_(*flt.before)
        )
    stmt = stmt.where(Conversation.last_message_at.is_not(None))
    stmt = stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit)
    rows = [ListRow(conversation=c, contact=ct) for c, ct in session.execute(stmt)]
    _attach_labels(session, rows)
    _attach_assignees(session, rows)
    return rows


def _labelled(session: Session, label_id: int) -> ColumnElement[bool]:
    """Conversations with the label: by id when few carry it, else tested one by one.

    Walking the newest conversations and testing each finds a page quickly when the label is
    common, but crosses most of the table for a rare one (PostgreSQL's estimate walks anyway).
    """
    ids = session.scalars(
        select(ConversationLabel.conversation_id)
        .where(ConversationLabel.label_id == label_id)
        .limit(LABEL_CAP + 1)
    ).all()
    if len(ids) <= LABEL_CAP:
        return Conversation.id.in_(ids)
    return exists().where(
        ConversationLabel.conversation_id == Conversation.id,
        ConversationLabel.label_id == label_id,
    )


def _attach_labels(session: Session, rows: list[ListRow]) -> None:
    by_id = {r.conversation.id: r for r in rows}
    if not by_id:
        return
    stmt = (
        select(ConversationLabel.conversation_id, Label)
        .join(Label, Label.id == ConversationLabel.label_id)
        .where(ConversationLabel.conversation_id.in_(by_id))
        .order_by(Label.name)
    )
    for conversation_id, label in session.execute(stmt):
        by_id[conversation_id].labels.append(label)


def _attach_assignees(session: Session, rows: list[ListRow]) -> None:
    ids = {r.conversation.assigned_user_id for r in rows if r.conversation.assigned_user_id}
    if not ids:
        return
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    for r in rows:
        r.assignee = names.get(r.conversation.assigned_user_id)


def counts(session: Session, user: User) -> dict[str, int]:
    """Open conversations per view, for the sidebar badges."""
    open_ = Conversation.status == "open"
    mine = session.scalar(
        select(func.count()).where(open_, Conversation.assigned_user_id == user.id)
    )
    unassigned = session.scalar(
        select(func.count()).where(open_, Conversation.assigned_user_id.is_(None))
    )
    return {"mine": mine or 0, "unassigned": unassigned or 0}


@dataclass
class Thread:
    """A page of a conversation's messages, oldest first, with what renders them."""

    messages: list[Message]
    quoted: dict[str, Message]
    reactions: dict[str, list[str]]
    authors: dict[int, str]
    has_more: bool


def thread(
    session: Session,
    conversation_id: int,
    *,
    before_id: int | None = None,
    limit: int = THREAD_SIZE,
) -> Thread:
    """The newest ``limit`` messages (before ``before_id``), oldest first."""
    stmt = (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit + 1)
    )
    if before_id:
        anchor = session.get(Message, before_id)
        if anchor is not None:
            stmt = stmt.where(
                tuple_(Message.created_at, Message.id) < tuple_(anchor.created_at, anchor.id)
            )
    newest_first = list(session.scalars(stmt))
    has_more = len(newest_first) > limit
    messages = list(reversed(newest_first[:limit]))
    reactions: dict[str, list[str]] = {}
    shown: list[Message] = []
    for m in messages:
        if m.type.startswith("reaction"):
            reaction = m.inbound
            target = reaction.target_wamid if isinstance(reaction, Reaction) else None
            if target and m.text:
                reactions.setdefault(target, []).append(m.text)
                continue
            if target and not m.text:
                continue
        shown.append(m)
    wanted = {m.context_wamid for m in shown if m.context_wamid}
    quoted: dict[str, Message] = {}
    if wanted:
        for q in session.scalars(select(Message).where(Message.wamid.in_(wanted))):
            quoted[q.wamid or ""] = q
    author_ids = {m.sent_by_user_id for m in shown if m.sent_by_user_id}
    authors: dict[int, str] = {}
    if author_ids:
        authors = {
            uid: name
            for uid, name in session.execute(
                select(User.id, User.name).where(User.id.in_(author_ids))
            )
        }
    return Thread(shown, quoted, reactions, authors, has_more)


@dataclass
class Panel:
    """Everything the contact panel shows."""

    conversation: Conversation
    contact: Contact
    conversation_labels: list[tuple[Label, int | None]]
    contact_labels: list[Label]
    assignee: User | None
    team: Team | None
    activities: list[ConversationActivity]
    actor_names: dict[int, str]
    other_conversations: list[Conversation]
    message_count: int


def panel(session: Session, conversation: Conversation) -> Panel:
    """The contact panel of ``conversation``."""
    contact = conversation.contact
    conv_labels = [
        (label, rule_id)
        for label, rule_id in session.execute(
            select(Label, ConversationLabel.rule_id)
            .join(ConversationLabel, ConversationLabel.label_id == Label.id)
            .where(ConversationLabel.conversation_id == conversation.id)
            .order_by(Label.name)
        )
    ]
    contact_labels = list(
        session.scalars(
            select(Label)
            .join(ContactLabel, ContactLabel.label_id == Label.id)
            .where(ContactLabel.contact_id == contact.id)
            .order_by(Label.name)
        )
    )
    activities = list(
        session.scalars(
            select(ConversationActivity)
            .where(ConversationActivity.conversation_id == conversation.id)
            .order_by(ConversationActivity.created_at.desc(), ConversationActivity.id.desc())
            .limit(30)
        )
    )
    actor_ids = {a.actor_user_id for a in activities if a.actor_user_id}
    actor_ids |= {
        int(a.data["user_id"]) for a in activities if isinstance(a.data.get("user_id"), int)
    }
    names: dict[int, str] = {}
    if actor_ids:
        names = {
            uid: name
            for uid, name in session.execute(
                select(User.id, User.name).where(User.id.in_(actor_ids))
            )
        }
    others = list(
        session.scalars(
            select(Conversation).where(
                Conversation.contact_id == contact.id, Conversation.id != conversation.id
            )
        )
    )
    count = session.scalar(
        select(func.count()).where(
            Message.conversation_id == conversation.id, Message.direction != "note"
        )
    )
    return Panel(
        conversation=conversation,
        contact=contact,
        conversation_labels=conv_labels,
        contact_labels=contact_labels,
        assignee=session.get(User, conversation.assigned_user_id)
        if conversation.assigned_user_id
        else None,
        team=session.get(Team, conversation.team_id) if conversation.team_id else None,
        activities=activities,
        actor_names=names,
        other_conversations=others,
        message_count=count or 0,
    )


def all_labels(session: Session) -> list[Label]:
    return list(session.scalars(select(Label).order_by(Label.name)))


def all_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active).order_by(User.name)))


def describe(value: Any) -> str:
    """A compact text for activity data values."""
    return "" if value is None else str(value)
