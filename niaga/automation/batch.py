"""What one automation round reads once for all of its messages, instead of once per message.

The queue claims a batch of inbound messages and calls :func:`prefetch`. Their messages,
conversations and contacts, the teams, the users and the business profile land in the
session's identity map (``session.get`` then costs no query; the batch holds the references,
which the identity map alone does not), and the facts the rules ask about each message are read
in one statement for the whole batch: whether the conversation had inbound messages before, when
the contact last wrote, when a person last answered, when automation last acknowledged.

The round keeps its facts true while it writes: an action done is noted
(:meth:`Batch.note_done`), a routed chat adds to its agent's load, a label created joins the
label cache, a survey sent makes the chat's next message a possible answer. Facts that only
customers or people change (inbound messages, human replies, who is online) stay as read: a
round lasts a fraction of a second and runs in one transaction.

Without a batch (the web process, the timers, a dry run) every helper reads as before:
:func:`current` is None there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from niaga.automation.models import AutomationAction, CsatSurvey, RoutingCursor
from niaga.automation.profile import load_profile
from niaga.contacts.models import Contact, Label
from niaga.core import clock
from niaga.inbox import organise as inbox_organise
from niaga.inbox import service as inbox
from niaga.inbox.models import HUMAN_ORIGINS, Conversation, ConversationLabel, Message
from niaga.security.models import Team, User

log = logging.getLogger(__name__)
KEY = "automation_batch"
# In a deferred send's action detail until the round writes it: its idempotency key.
SEND_KEY = "_send_key"
# Actions whose last success the rules ask about (cool-downs: away message, acknowledgement).
COOLDOWN_ACTIONS = ("send_ack", "send_away")
# How far back a survey can still be answered or commented (csat.ANSWER_WINDOW and more).
SURVEY_HORIZON = timedelta(days=3)


@dataclass
class MessageFacts:
    """What the rules ask about one claimed message, read for the whole batch at once."""

    other_inbound: bool  # the conversation has other inbound messages (not its first)
    previous_by_contact: datetime | None  # the contact's last inbound before this one
    previous_in_conversation: datetime | None  # the same within this conversation
    last_human_reply: datetime | None  # a person last answered in this conversation


@dataclass
class Batch:
    """One round's reads, kept true by the round's own writes."""

    facts: dict[int, MessageFacts]
    last_done: dict[tuple[int, str], datetime]
    survey_conversations: set[int]
    labels: dict[str, Label]
    teams: dict[str, Team]
    profile: Any
    held: list[Any] = field(default_factory=list)
    # The round's second attempt: every message in its own SAVEPOINT, triggers inserted
    # guardedly; a message rolled back drops the batch (its notes may no longer be true).
    careful: bool = False
    # Written when the round ends (:meth:`write`): one insert each instead of one per action.
    sends: list[inbox.Send] = field(default_factory=list)
    actions: list[AutomationAction] = field(default_factory=list)
    # (conversation id, label id) on the batch's chats, with the labels the round adds; those
    # are written together (:meth:`write_labels`).
    conversation_labels: set[tuple[int, int]] = field(default_factory=set)
    label_adds: list[tuple[Conversation, Label, int | None]] = field(default_factory=list)
    agents: dict[int, list[User]] = field(default_factory=dict)
    load: dict[int, int] = field(default_factory=dict)
    cursors: dict[int, RoutingCursor] = field(default_factory=dict)
    # Per team: recent first-response times (eta), read once per round.
    samples: dict[int | None, list[float]] = field(default_factory=dict)

    def note_done(self, conversation_id: int, action: str, at: datetime) -> None:
        """An action succeeded in this round (its cool-down starts)."""
        if action in COOLDOWN_ACTIONS:
            self.last_done[(conversation_id, action)] = at

    def done_since(self, conversation_id: int, action: str, since: datetime | None) -> bool:
        """Did automation do ``action`` in the conversation after ``since`` (any time: None)?"""
        last = self.last_done.get((conversation_id, action))
        if last is None:
            return False
        return since is None or clock.as_utc(last) > clock.as_utc(since)

    def log(self, session: Session, entry: AutomationAction) -> None:
        """An action-log row: kept for :meth:`write` (its send's message id comes then)."""
        if self.careful:
            session.add(entry)
        else:
            self.actions.append(entry)

    def add_label(self, conversation: Conversation, label: Label, rule_id: int) -> bool:
        """The rule puts ``label`` on the chat (written with the round); False: already there."""
        pair = (conversation.id, label.id)
        if pair in self.conversation_labels:
            return False
        self.conversation_labels.add(pair)
        self.label_adds.append((conversation, label, rule_id))
        return True

    def has_label(self, conversation_id: int, name: str) -> bool:
        """The chat carries the label called ``name``, as of this round."""
        label = self.label_named(name)
        return label is not None and (conversation_id, label.id) in self.conversation_labels

    def write_labels(self, session: Session) -> None:
        """Insert the labels the round added so far (before anything else changes labels).

        One that a person put on the same chat meanwhile is theirs: it is not recorded twice.
        """
        adds, self.label_adds = self.label_adds, []
        added = inbox_organise.do_add_conversation_labels(session, adds)
        for conversation, label, _ in adds:
            if (conversation.id, label.id) not in added:
                log.info("label %s was put on chat %s meanwhile", label.id, conversation.id)

    def write(self, session: Session) -> None:
        """Write the round's labels, sends and action-log rows (each kind in one statement)."""
        self.write_labels(session)
        ids: dict[str, int] = {}
        if self.sends:
            sent = inbox.do_send_messages(session, self.sends)
            ids = {s.key: message_id for s, message_id in zip(self.sends, sent, strict=True)}
        for entry in self.actions:
            key = entry.detail.get(SEND_KEY)
            if key is not None:
                rest = {k: v for k, v in entry.detail.items() if k != SEND_KEY}
                entry.detail = {"message_id": ids[key], **rest}
        session.add_all(self.actions)
        self.sends, self.actions = [], []

    def team_named(self, name: str) -> Team | None:
        """The team called ``name`` (case-insensitive)."""
        return self.teams.get(name.lower())

    def label_named(self, name: str) -> Label | None:
        """The label called ``name`` (case-insensitive), as of this round."""
        return self.labels.get(" ".join(name.split()).lower())

    def remember_label(self, label: Label) -> None:
        """A label created (or first seen) in this round."""
        self.labels[label.name.lower()] = label

    def survey_sent(self, conversation_id: int) -> None:
        """A survey went out: the chat's next messages may answer it."""
        self.survey_conversations.add(conversation_id)


def current(session: Session) -> Batch | None:
    """The batch of the round this session runs, if any."""
    return session.info.get(KEY)


def end(session: Session) -> None:
    """Forget the batch (the round's transaction is over)."""
    session.info.pop(KEY, None)


def prefetch(session: Session, message_ids: Sequence[int]) -> Batch:
    """Load what the round needs for ``message_ids`` and attach it to ``session``."""
    messages = list(session.scalars(select(Message).where(Message.id.in_(message_ids))))
    conversation_ids = sorted({m.conversation_id for m in messages})
    conversations = list(
        session.scalars(select(Conversation).where(Conversation.id.in_(conversation_ids)))
    )
    contacts = list(
        session.scalars(
            select(Contact).where(Contact.id.in_({c.contact_id for c in conversations}))
        )
    )
    teams = list(session.scalars(select(Team)))
    users = list(session.scalars(select(User).where(User.is_active.is_(True))))
    profile = load_profile(session)
    batch = Batch(
        facts=_facts(session, message_ids),
        last_done=_last_done(session, conversation_ids),
        survey_conversations=_survey_conversations(session, conversation_ids),
        labels={label.name.lower(): label for label in session.scalars(select(Label))},
        conversation_labels=_conversation_labels(session, conversation_ids),
        teams={team.name.lower(): team for team in teams},
        profile=profile,
        held=[messages, conversations, contacts, teams, users, profile],
    )
    session.info[KEY] = batch
    return batch


def _facts(session: Session, message_ids: Sequence[int]) -> dict[int, MessageFacts]:
    m = Message.__table__
    p = aliased(Message.__table__)
    inbound_before = and_(p.c.direction == "in", p.c.id != m.c.id, p.c.created_at <= m.c.created_at)
    other_inbound = exists().where(
        p.c.conversation_id == m.c.conversation_id, p.c.direction == "in", p.c.id != m.c.id
    )
    by_contact = (
        select(func.max(p.c.created_at))
        .where(p.c.contact_id == m.c.contact_id, inbound_before)
        .scalar_subquery()
    )
    in_conversation = (
        select(func.max(p.c.created_at))
        .where(p.c.conversation_id == m.c.conversation_id, inbound_before)
        .scalar_subquery()
    )
    human_reply = (
        select(func.max(p.c.created_at))
        .where(
            p.c.conversation_id == m.c.conversation_id,
            p.c.direction == "out",
            p.c.origin.in_(HUMAN_ORIGINS),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(m.c.id, other_inbound, by_contact, in_conversation, human_reply).where(
            m.c.id.in_(message_ids)
        )
    )
    return {
        row[0]: MessageFacts(bool(row[1]), _utc(row[2]), _utc(row[3]), _utc(row[4])) for row in rows
    }


def _utc(value: Any) -> datetime | None:
    """A ``max()`` over a timestamp column (SQLite hands back its stored text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return clock.as_utc(value)


def _last_done(session: Session, conversation_ids: Sequence[int]) -> dict[tuple[int, str], Any]:
    a = AutomationAction
    rows = session.execute(
        select(a.conversation_id, a.action, func.max(a.created_at))
        .where(
            a.conversation_id.in_(conversation_ids),
            a.action.in_(COOLDOWN_ACTIONS),
            a.outcome == "done",
        )
        .group_by(a.conversation_id, a.action)
    )
    return {(cid, action): _utc(at) for cid, action, at in rows if at is not None}


def _conversation_labels(session: Session, conversation_ids: Sequence[int]) -> set[tuple[int, int]]:
    cl = ConversationLabel
    rows = session.execute(
        select(cl.conversation_id, cl.label_id).where(cl.conversation_id.in_(conversation_ids))
    )
    return {(c, label) for c, label in rows}


def _survey_conversations(session: Session, conversation_ids: Sequence[int]) -> set[int]:
    since = clock.now() - SURVEY_HORIZON
    return set(
        session.scalars(
            select(CsatSurvey.conversation_id)
            .where(
                CsatSurvey.conversation_id.in_(conversation_ids),
                (CsatSurvey.asked_at >= since) | (CsatSurvey.answered_at >= since),
            )
            .distinct()
        )
    )
