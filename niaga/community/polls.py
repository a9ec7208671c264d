"""Polls: a question with 2-10 answers, sent to an audience as a marketing template with one
quick-reply button per answer (the same template in the 24-hour window and outside it, so
consent, the frequency cap and quiet hours of campaigns apply: a poll is sent as a campaign of
kind ``poll``). Each button carries ``poll:<id>:<answer>``; a tap is a vote (a second tap changes
it), tallied live; when the poll closes, voters can be told the result in their chat."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.channels.content import Choice
from niaga.channels.template_definition import QuickReplyButton, TemplateDefinition
from niaga.community.models import Poll, PollVote
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.errors import ConflictError, NotFoundError
from niaga.core.i18n import gettext
from niaga.inbox.models import Message
from niaga.inbox.service import do_send_text_in_window
from niaga.templates import authoring
from niaga.templates import service as templates
from niaga.templates import sync as template_sync

PAYLOAD = re.compile(r"^poll:(\d+):(\d)$")
LANGUAGE = "id"


class PollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=5, max_length=1000, examples=["Produk apa yang Anda tunggu?"])
    options: list[str] = Field(min_length=2, max_length=10)
    share_results: bool = False
    closes_at: datetime | None = None

    @field_validator("options")
    @classmethod
    def _short_and_distinct(cls, options: list[str]) -> list[str]:
        cleaned = [" ".join(o.split()) for o in options]
        if any(not o or len(o) > 25 for o in cleaned):
            raise ValueError("each answer is 1 to 25 characters (a WhatsApp button)")
        if len({o.casefold() for o in cleaned}) != len(cleaned):
            raise ValueError("answers must differ")
        return cleaned


def get(session: Session, poll_id: int) -> Poll:
    poll = session.get(Poll, poll_id)
    if poll is None:
        raise NotFoundError("poll_not_found", "Poll {id} does not exist.", id=poll_id)
    return poll


def template_definition(poll: Poll) -> TemplateDefinition:
    """The poll's template: the question and a quick-reply button per answer."""
    return TemplateDefinition(
        name=poll.template_name,
        language=LANGUAGE,
        category="MARKETING",
        parameter_format="NAMED",
        body=poll.question,
        buttons=[QuickReplyButton(text=o) for o in poll.options],
    )


def do_submit(session: Session, settings: Settings, poll: Poll) -> template_sync.Submission:
    """Submit the poll's template to Meta (once: a second time is refused before asking);
    what Meta accepted is recorded, its refusal is in the result."""
    if templates.find(session, poll.template_name, LANGUAGE) is not None:
        raise ConflictError(
            "poll_submitted",
            "The poll's template {name} is already submitted.",
            name=poll.template_name,
        )
    result = asyncio.run(template_sync.submit_with(settings, [template_definition(poll)]))
    for definition, listing in result.accepted:
        authoring.do_record_submitted(session, definition, listing)
    return result


def do_create(session: Session, data: PollIn) -> Poll:
    poll = Poll(
        question=data.question.strip(),
        options=data.options,
        share_results=data.share_results,
        closes_at=data.closes_at,
        template_name="polling_pending",
    )
    session.add(poll)
    session.flush()
    # Unique at Meta too (a restored or second Niaga may have made polling_1 already).
    poll.template_name = f"polling_{poll.id}_{secrets.token_hex(3)}"
    session.flush()
    return poll


def payload(poll_id: int, option: int) -> str:
    return f"poll:{poll_id}:{option}"


def tally(session: Session, poll: Poll) -> list[tuple[str, int]]:
    """Each answer with its votes, in the poll's order."""
    counts = dict(
        session.execute(
            select(PollVote.option, func.count())
            .where(PollVote.poll_id == poll.id)
            .group_by(PollVote.option)
        ).all()
    )
    return [(text, int(counts.get(i, 0))) for i, text in enumerate(poll.options)]


def do_vote(session: Session, message: Message) -> PollVote | None:
    """Record the vote a tap on a poll's button carries (None: not a poll answer)."""
    choice = message.inbound
    if not isinstance(choice, Choice) or not choice.choice_id:
        return None
    found = PAYLOAD.match(choice.choice_id)
    if found is None:
        return None
    poll = session.get(Poll, int(found.group(1)))
    option = int(found.group(2))
    if poll is None or option >= len(poll.options):
        return None
    if poll.closed_at is not None:
        return None  # a late tap on a closed poll changes nothing
    vote = session.scalars(
        select(PollVote).where(
            PollVote.poll_id == poll.id, PollVote.contact_id == message.contact_id
        )
    ).first()
    if vote is None:
        vote = PollVote(
            poll_id=poll.id,
            contact_id=message.contact_id,
            option=option,
            message_id=message.id,
            voted_at=clock.now(),
        )
        try:
            with session.begin_nested():
                session.add(vote)
                session.flush()
        except IntegrityError:
            return None
    else:
        vote.option, vote.message_id, vote.voted_at = option, message.id, clock.now()
        session.flush()
    return vote


def result_text(session: Session, poll: Poll, locale: str) -> str:
    counts = tally(session, poll)
    total = sum(n for _, n in counts) or 1
    lines = [gettext("Poll result: {question}", locale, question=poll.question)]
    lines += [f"{text}: {n} ({round(100 * n / total)}%)" for text, n in counts]
    lines.append(gettext("Thank you for voting!", locale))
    return "\n".join(lines)


def do_close(session: Session, poll: Poll, locale: str = "id") -> int:
    """Close the poll; with ``share_results``, tell each voter the result in their chat
    (inside the window; outside it a result would need its own template). Voters told."""
    if poll.closed_at is not None:
        raise ConflictError("poll_closed", "The poll is already closed.")
    poll.closed_at = clock.now()
    session.flush()
    if not poll.share_results:
        return 0
    text = result_text(session, poll, locale)
    told = 0
    for vote in session.scalars(select(PollVote).where(PollVote.poll_id == poll.id)):
        sent = do_send_text_in_window(
            session,
            vote.contact_id,
            text,
            idempotency_key=f"poll-{poll.id}-result-{vote.contact_id}",
        )
        if sent is not None:
            vote.told_at = clock.now()
            told += 1
    session.flush()
    return told


def due(session: Session) -> list[Poll]:
    """Open polls past their closing time."""
    return list(
        session.scalars(select(Poll).where(Poll.closed_at.is_(None), Poll.closes_at <= clock.now()))
    )
