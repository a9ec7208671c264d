"""Commands that organise conversations: labels, assignment, status, private notes.

Every change writes a :class:`ConversationActivity` (who or which rule did it) and emits an
event after commit, so live browsers, automation and analytics hear about it. ``rule_id`` is
set when an automation rule made the change; automation ignores events its own rules caused.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from niaga.contacts.models import ContactLabel, Label
from niaga.contacts.service import find_label
from niaga.core import clock, events
from niaga.core.db import insert_ignoring_conflicts
from niaga.core.errors import DomainError
from niaga.inbox.models import (
    Conversation,
    ConversationActivity,
    ConversationLabel,
    Message,
)
from niaga.security.models import Team, User

STATUSES = ("open", "pending", "resolved")


class OrganiseError(DomainError):
    """A request to organise a conversation that cannot be carried out."""


def _activity(
    session: Session,
    conversation: Conversation,
    kind: str,
    *,
    actor_user_id: int | None,
    rule_id: int | None,
    **data: object,
) -> None:
    session.add(
        ConversationActivity(
            conversation_id=conversation.id,
            kind=kind,
            data=data,
            actor_user_id=actor_user_id,
            rule_id=rule_id,
        )
    )


def get_or_create_label(session: Session, name: str, color: str | None = None) -> Label:
    """The label called ``name`` (case-insensitive), created when missing."""
    name = " ".join(name.split())
    if not name:
        raise OrganiseError("label_empty", "The label name is empty.", field="name")
    label = find_label(session, name)
    if label is None:
        label = Label(name=name, color=color or "#6b7280")
        session.add(label)
        session.flush()
    return label


def _label_changed(
    session: Session,
    conversation: Conversation,
    label: Label,
    kind: str,
    event_name: str,
    actor_user_id: int | None,
    rule_id: int | None,
    *,
    flush: bool = True,
) -> None:
    """Record a label change in the history and announce it after commit."""
    _activity(
        session,
        conversation,
        kind,
        actor_user_id=actor_user_id,
        rule_id=rule_id,
        label_id=label.id,
        label=label.name,
    )
    if flush:
        session.flush()
    events.emit_on_commit(
        session,
        event_name,
        conversation_id=conversation.id,
        label_id=label.id,
        rule_id=rule_id,
        actor_user_id=actor_user_id,
    )


def do_add_conversation_label(
    session: Session,
    conversation: Conversation,
    label: Label,
    *,
    actor_user_id: int | None = None,
    rule_id: int | None = None,
) -> bool:
    """Put ``label`` on the conversation; False when it was already there.

    ``ON CONFLICT DO NOTHING``: a person and a rule (or two workers) adding the same label at
    once is not an error; only the one whose row went in records and announces it.
    """
    t = ConversationLabel.__table__
    added = session.execute(
        insert_ignoring_conflicts(session, t)
        .values(
            conversation_id=conversation.id,
            label_id=label.id,
            added_by_user_id=actor_user_id,
            rule_id=rule_id,
            created_at=clock.now(),
        )
        .returning(t.c.id)
    ).first()
    if added is None:
        return False
    _label_changed(
        session, conversation, label, "label_added", events.LABEL_ADDED, actor_user_id, rule_id
    )
    return True


def do_add_conversation_labels(
    session: Session, adds: Sequence[tuple[Conversation, Label, int | None]]
) -> set[tuple[int, int]]:
    """Put many labels on conversations in one statement (each with the rule that adds it).

    ``ON CONFLICT DO NOTHING`` like :func:`do_add_conversation_label`: only the pairs whose row
    went in are recorded and announced. Returns those (conversation id, label id) pairs.
    """
    if not adds:
        return set()
    t = ConversationLabel.__table__
    now = clock.now()
    stmt = insert_ignoring_conflicts(session, t).returning(t.c.conversation_id, t.c.label_id)
    params = [
        {
            "conversation_id": conversation.id,
            "label_id": label.id,
            "added_by_user_id": None,
            "rule_id": rule_id,
            "created_at": now,
        }
        for conversation, label, rule_id in adds
    ]
    added = {(row[0], row[1]) for row in session.execute(stmt, params)}
    for conversation, label, rule_id in adds:
        if (conversation.id, label.id) in added:
            _label_changed(
                session,
                conversation,
                label,
                "label_added",
                events.LABEL_ADDED,
                None,
                rule_id,
                flush=False,
            )
    return added


def do_remove_conversation_label(
    session: Session,
    conversation: Conversation,
    label: Label,
    *,
    actor_user_id: int | None = None,
    rule_id: int | None = None,
) -> bool:
    """Take ``label`` off the conversation; False when it was not there."""
    result = session.execute(
        delete(ConversationLabel).where(
            ConversationLabel.conversation_id == conversation.id,
            ConversationLabel.label_id == label.id,
        )
    )
    if not result.rowcount:
        return False
    _label_changed(
        session, conversation, label, "label_removed", events.LABEL_REMOVED, actor_user_id, rule_id
    )
    return True


def do_add_contact_label(
    session: Session,
    contact_id: int,
    label: Label,
    *,
    actor_user_id: int | None = None,
    rule_id: int | None = None,
) -> bool:
    """Put ``label`` on a contact; False when it was already there (conflict-safe too)."""
    t = ContactLabel.__table__
    added = session.execute(
        insert_ignoring_conflicts(session, t)
        .values(
            contact_id=contact_id,
            label_id=label.id,
            added_by_user_id=actor_user_id,
            rule_id=rule_id,
            created_at=clock.now(),
        )
        .returning(t.c.id)
    ).first()
    if added is None:
        return False
    events.emit_on_commit(
        session,
        events.CONTACT_LABEL_CHANGED,
        contact_id=contact_id,
        label_id=label.id,
        added=True,
        rule_id=rule_id,
    )
    return True


def do_remove_contact_label(
    session: Session, contact_id: int, label: Label, *, actor_user_id: int | None = None
) -> bool:
    """Take ``label`` off a contact; False when it was not there."""
    result = session.execute(
        delete(ContactLabel).where(
            ContactLabel.contact_id == contact_id, ContactLabel.label_id == label.id
        )
    )
    if not result.rowcount:
        return False
    events.emit_on_commit(
        session,
        events.CONTACT_LABEL_CHANGED,
        contact_id=contact_id,
        label_id=label.id,
        added=False,
        rule_id=None,
    )
    return True


def do_assign(
    session: Session,
    conversation: Conversation,
    *,
    user_id: int | None,
    team_id: int | None,
    actor_user_id: int | None = None,
    rule_id: int | None = None,
) -> bool:
    """Assign the conversation to an agent and/or a team (None clears); False if unchanged.

    Assigning an agent ends the wait in the routing queue; assigning only a team (no agent)
    puts the chat in that team's queue, oldest first.
    """
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise OrganiseError("unknown_user", "No active user {id}.", field="user_id", id=user_id)
    if team_id is not None and session.get(Team, team_id) is None:
        raise OrganiseError("unknown_team", "No team {id}.", field="team_id", id=team_id)
    if conversation.assigned_user_id == user_id and conversation.team_id == team_id:
        return False
    before = {"user_id": conversation.assigned_user_id, "team_id": conversation.team_id}
    conversation.assigned_user_id = user_id
    conversation.team_id = team_id
    if user_id is not None:
        conversation.waiting_since = None
    elif conversation.status != "resolved" and conversation.waiting_since is None:
        conversation.waiting_since = conversation.last_inbound_at or clock.now()
    _activity(
        session,
        conversation,
        "assigned",
        actor_user_id=actor_user_id,
        rule_id=rule_id,
        user_id=user_id,
        team_id=team_id,
        before=before,
    )
    events.emit_on_commit(
        session,
        events.CONVERSATION_ASSIGNED,
        conversation_id=conversation.id,
        user_id=user_id,
        team_id=team_id,
        previous_user_id=before["user_id"],
        rule_id=rule_id,
        actor_user_id=actor_user_id,
    )
    return True


def do_set_status(
    session: Session,
    conversation: Conversation,
    status: str,
    *,
    actor_user_id: int | None = None,
    rule_id: int | None = None,
) -> bool:
    """Set open / pending / resolved; False if unchanged."""
    if status not in STATUSES:
        raise OrganiseError(
            "unknown_status",
            "Unknown status {status}; choose one of {choices}.",
            field="status",
            status=repr(status),
            choices=", ".join(STATUSES),
        )
    if conversation.status == status:
        return False
    before = conversation.status
    conversation.status = status
    if status == "resolved":
        conversation.resolved_at = clock.now()
        conversation.waiting_since = None
    else:
        conversation.resolved_at = None
    _activity(
        session,
        conversation,
        "status",
        actor_user_id=actor_user_id,
        rule_id=rule_id,
        status=status,
        before=before,
    )
    session.flush()
    events.emit_on_commit(
        session,
        events.CONVERSATION_STATUS_CHANGED,
        conversation_id=conversation.id,
        status=status,
        previous=before,
        rule_id=rule_id,
        actor_user_id=actor_user_id,
    )
    return True


def do_add_note(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    actor_user_id: int | None = None,
    rule_id: int | None = None,
) -> Message:
    """A private note in the thread: seen by the team, never sent to the customer."""
    body = body.strip()
    if not body:
        raise OrganiseError("note_empty", "The note is empty.", field="body")
    now = clock.now()
    note = Message(
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        direction="note",
        type="note",
        text=body,
        content={},
        status="note",
        origin="automation" if rule_id is not None else "agent",
        sent_by_user_id=actor_user_id,
        created_at=now,
        received_at=now,
    )
    session.add(note)
    session.flush()
    events.emit_on_commit(
        session,
        events.NOTE_ADDED,
        conversation_id=conversation.id,
        message_id=note.id,
        actor_user_id=actor_user_id,
        rule_id=rule_id,
    )
    return note
