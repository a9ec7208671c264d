"""Customer satisfaction: ask for a 1-5 rating when a chat is resolved, take the answer (and
an optional comment), linked to the agent, team and conversation for the reports.

Inside the 24-hour window the question is a list message (five rows: WhatsApp allows at most
three reply buttons); outside it, the approved ``minta_rating`` template with five quick-reply
buttons. Each row or button carries ``csat:<survey id>:<rating>``; a bare "1".."5" (or "5 ⭐")
answers the customer's open survey too.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.automation import batch as round_batch
from niaga.automation.context import Run
from niaga.automation.models import CsatSurvey
from niaga.automation.schemas import TemplateRef
from niaga.automation.sending import Outcome, send, template_message
from niaga.channels.content import Choice
from niaga.channels.template_definition import QuickReplyButton, TemplateDefinition
from niaga.channels.whatsapp.outgoing import (
    ListMessage,
    ListRow,
    ListSection,
    QuickReplyButtonParam,
    TextMessage,
)
from niaga.core import clock
from niaga.core.i18n import gettext
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation, Message

DEFAULT_TEMPLATE = TemplateRef(name="minta_rating", language="id")
TEMPLATE_BUTTON_RATINGS = (5, 4, 3, 2, 1)  # the template's buttons, in order


def template_definition() -> TemplateDefinition:
    """``minta_rating`` as Niaga submits it: the question and five quick replies, best first."""
    return TemplateDefinition(
        name=DEFAULT_TEMPLATE.name,
        language=DEFAULT_TEMPLATE.language,
        category="UTILITY",
        parameter_format="NAMED",
        body="Bagaimana pelayanan kami hari ini? Pilih nilai di bawah ya.",
        buttons=[QuickReplyButton(text=f"{n} ⭐") for n in TEMPLATE_BUTTON_RATINGS],
    )


ANSWER_WINDOW = timedelta(days=3)
COMMENT_WINDOW = timedelta(minutes=15)
CSAT_ID = re.compile(r"^csat:(\d+):([1-5])$")
BARE_RATING = re.compile(r"^\s*([1-5])\s*(⭐|\*|bintang|stars?)?\s*$", re.IGNORECASE)
LABELS = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Okay",
    2: "Unsatisfied",
    1: "Very unsatisfied",
}


def do_ask(run: Run, key: str, template: TemplateRef | None) -> Outcome:
    """Create the survey and send the question (list in the window, template outside)."""
    conversation = run.conversation
    locale = run.profile.locale
    if run.dry_run:
        return "planned", {"kind": "csat"}
    survey = CsatSurvey(
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        agent_user_id=conversation.assigned_user_id,
        team_id=conversation.team_id,
        asked_at=run.now,
    )
    run.session.add(survey)
    run.session.flush()
    if (batch := round_batch.current(run.session)) is not None:
        batch.survey_sent(conversation.id)
    rows = [
        ListRow(
            id=f"csat:{survey.id}:{n}",
            title=f"{n} ⭐ {gettext(LABELS[n], locale)}"[:24],
        )
        for n in (5, 4, 3, 2, 1)
    ]
    question = ListMessage(
        body=gettext(
            "How satisfied are you with our help today? Choose a rating from 1 to 5.", locale
        ),
        button=gettext("Give a rating", locale),
        sections=[ListSection(rows=rows)],
    )
    buttons = [
        QuickReplyButtonParam(index=i, payload=f"csat:{survey.id}:{n}")
        for i, n in enumerate(TEMPLATE_BUTTON_RATINGS)
    ]
    outcome, detail = send(
        run,
        key,
        question,
        template_message(run, template or DEFAULT_TEMPLATE, buttons),
        defer=False,  # the survey links to its message
    )
    if outcome == "done":
        survey.message_id = detail["message_id"]
    else:
        run.session.delete(survey)
    return outcome, {**detail, "survey_id": survey.id if outcome == "done" else None}


def _rating_of(message: Message) -> tuple[int | None, int | None]:
    """(survey id or None, rating) carried by a reply, or (None, None)."""
    choice = message.inbound
    if isinstance(choice, Choice) and choice.choice_id and (m := CSAT_ID.match(choice.choice_id)):
        return int(m.group(1)), int(m.group(2))
    if message.type == "text" and message.text and (m := BARE_RATING.match(message.text)):
        return None, int(m.group(1))
    return None, None


def _open_survey(
    session: Session, conversation_id: int, survey_id: int | None
) -> CsatSurvey | None:
    if survey_id is not None:
        survey = session.get(CsatSurvey, survey_id)
        return survey if survey is not None and survey.conversation_id == conversation_id else None
    return session.scalars(
        select(CsatSurvey)
        .where(
            CsatSurvey.conversation_id == conversation_id,
            CsatSurvey.answered_at.is_(None),
            CsatSurvey.asked_at >= clock.now() - ANSWER_WINDOW,
        )
        .order_by(CsatSurvey.asked_at.desc())
        .limit(1)
    ).first()


def _keep_resolved(conversation: Conversation) -> None:
    """An answer to the survey does not reopen the chat or queue it for an agent."""
    conversation.status = "resolved"
    conversation.resolved_at = conversation.resolved_at or clock.now()
    conversation.waiting_since = None


def do_take_answer(session: Session, message: Message, locale: str) -> str | None:
    """Record a rating or a comment carried by ``message``; returns "rating", "comment" or None.

    A rating answers its survey once (a second tap changes nothing); a text within a few minutes
    of the rating becomes the comment.
    """
    survey_id, rating = _rating_of(message)
    batch = round_batch.current(session)
    if (
        survey_id is None
        and batch is not None
        and message.conversation_id not in batch.survey_conversations
    ):
        return None  # no survey asked or answered lately: nothing to answer or comment on
    conversation = session.get_one(Conversation, message.conversation_id)
    if rating is not None:
        survey = _open_survey(session, conversation.id, survey_id)
        if survey is None or (survey.rating is not None and survey_id is None):
            return None
        if survey.rating is None:
            survey.rating = rating
            survey.answered_at = clock.now()
            _keep_resolved(conversation)
            _reply(
                session,
                conversation,
                f"csat-thanks-{survey.id}",
                gettext(
                    "Thank you for your rating! If you like, write a short comment here.", locale
                ),
            )
        return "rating"
    if message.type != "text" or not message.text:
        return None
    answered = session.scalars(
        select(CsatSurvey)
        .where(
            CsatSurvey.conversation_id == conversation.id,
            CsatSurvey.answered_at >= clock.now() - COMMENT_WINDOW,
            CsatSurvey.comment.is_(None),
        )
        .order_by(CsatSurvey.answered_at.desc())
        .limit(1)
    ).first()
    if answered is None:
        return None
    answered.comment = message.text[:2000]
    _keep_resolved(conversation)
    _reply(
        session,
        conversation,
        f"csat-comment-{answered.id}",
        gettext("Thank you for your feedback!", locale),
    )
    return "comment"


def _reply(session: Session, conversation: Conversation, key: str, text: str) -> None:
    with contextlib.suppress(inbox.WindowClosedError, inbox.NotSendableError):
        inbox.do_send_message(
            session, conversation, TextMessage(body=text), origin="automation", idempotency_key=key
        )


def summary(session: Session, *, days: int = 30) -> dict[str, object]:
    """Answered surveys of the last ``days``: count, average, and per agent and team."""
    since = clock.now() - timedelta(days=days)
    base = select(CsatSurvey).where(CsatSurvey.answered_at >= since)
    count = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    avg = session.scalar(select(func.avg(CsatSurvey.rating)).where(CsatSurvey.answered_at >= since))

    def grouped(column):  # type: ignore[no-untyped-def]
        rows = session.execute(
            select(column, func.count(), func.avg(CsatSurvey.rating))
            .where(CsatSurvey.answered_at >= since)
            .group_by(column)
        )
        return [
            {"id": key, "answers": n, "average": round(float(a), 2) if a is not None else None}
            for key, n, a in rows
        ]

    return {
        "days": days,
        "answers": count,
        "average": round(float(avg), 2) if avg is not None else None,
        "by_agent": grouped(CsatSurvey.agent_user_id),
        "by_team": grouped(CsatSurvey.team_id),
    }
