"""Loyalty's background work: the chat commands on every inbound message, points for CSAT
answers and reviews, expiry of points and codes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from niaga.automation.models import CsatSurvey
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.jobs.registry import JobContext, PeriodicSpec, Registry
from niaga.inbox.models import Conversation
from niaga.loyalty import announce, chat, earning, ledger, program, rewards
from niaga.loyalty.models import LoyaltyEntry as Entry
from niaga.loyalty.models import LoyaltyProgram

log = logging.getLogger(__name__)

INTERACTIONS_EVERY = 60.0
EXPIRY_EVERY = 3600.0
# Answers older than this earn nothing late (a new program does not pay for the past year).
LOOK_BACK = timedelta(days=3)


def reaction(settings: Settings) -> Callable[[Session, int], None]:
    """What the automation queue runs for loyalty on each new inbound message."""

    def loyalty(session: Session, message_id: int) -> None:
        chat.handle_message(session, message_id, settings)

    return loyalty


def award_interactions(session: Session, settings: Settings, limit: int = 500) -> int:
    """Points for CSAT answers (and reviews: answers with a comment) not yet rewarded."""
    rated = aliased(Entry)
    reviewed = aliased(Entry)
    survey = cast(CsatSurvey.id, String(20))
    rows = session.execute(
        select(CsatSurvey.id, CsatSurvey.comment, Conversation.contact_id)
        .join(Conversation, Conversation.id == CsatSurvey.conversation_id)
        .outerjoin(rated, rated.key == "csat:" + survey)
        .outerjoin(reviewed, reviewed.key == "review:" + survey)
        .where(
            CsatSurvey.answered_at.is_not(None),
            CsatSurvey.answered_at >= clock.now() - LOOK_BACK,
            or_(
                rated.id.is_(None),
                and_(
                    CsatSurvey.comment.is_not(None), CsatSurvey.comment != "", reviewed.id.is_(None)
                ),
            ),
        )
        .order_by(CsatSurvey.id)
        .limit(limit)
    ).all()
    done = 0
    for survey_id, comment, contact_id in rows:
        earned = [
            earning.do_award(
                session, contact_id, "csat", f"csat:{survey_id}", timezone=settings.timezone
            )
        ]
        if comment and comment.strip():
            earned.append(
                earning.do_award(
                    session, contact_id, "review", f"review:{survey_id}", timezone=settings.timezone
                )
            )
        got = [e for e in earned if e is not None]
        if got:
            announce.do_announce_earned(session, got, key=f"csat-{survey_id}", settings=settings)
        done += 1
    return done


def _interactions(ctx: JobContext) -> None:
    with transaction(ctx.factory) as session:
        award_interactions(session, ctx.settings)


def expire(factory: sessionmaker[Session], batch: int = 50) -> int:
    """Expire lots past their date, ``batch`` customers per short transaction (the webhook's
    writes get the lock between them on SQLite), then codes past theirs; points expired.

    Only lots whose date passed since the last complete pass are looked for (the program row
    keeps how far expiry has gone); the first pass looks at every due lot."""
    now = clock.now()
    with factory() as session:
        row = session.get(LoyaltyProgram, 1)
        since = row.expired_through if row is not None else None
    total, after = 0, 0
    while True:
        with transaction(factory) as session:
            ids = ledger.contacts_with_lots_due(session, now, since=since, after=after, limit=batch)
            for contact_id in ids:
                total += ledger.do_expire(session, contact_id, now)
        if len(ids) < batch:
            break
        after = ids[-1]
    with transaction(factory) as session:
        rewards.do_expire_codes(session)
        program.mark_expired_through(session, now)
    return total


def _expire(ctx: JobContext) -> None:
    expire(ctx.factory)


def register(registry: Registry) -> None:
    """Periodic: interaction points every minute, expiry hourly."""
    registry.add_periodic(PeriodicSpec("loyalty.interactions", INTERACTIONS_EVERY, _interactions))
    registry.add_periodic(PeriodicSpec("loyalty.expire", EXPIRY_EVERY, _expire))
