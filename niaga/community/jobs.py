"""Community background work: poll votes on every inbound message, groups' join rules and
polls' closing times every minute."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from niaga.community import groups, polls, whatsapp
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.jobs.registry import DISPATCH, JobContext, PeriodicSpec, Registry
from niaga.inbox.models import Message

EVERY = 60.0
WHATSAPP_EVERY = 15.0


def reaction(settings: Settings) -> Callable[[Session, int], None]:
    """What the automation queue runs for the community on each new inbound message."""

    def community(session: Session, message_id: int) -> None:
        message = session.get(Message, message_id)
        if message is not None and message.direction == "in" and message.type != "text":
            polls.do_vote(session, message)  # a tap on a poll's button

    return community


def tick(session: Session, settings: Settings) -> None:
    """Join rules, then polls that are due to close."""
    groups.ensure_loyal(session)
    groups.do_apply_rules(session)
    for poll in polls.due(session):
        polls.do_close(session, poll, settings.locale)


def _tick(ctx: JobContext) -> None:
    with transaction(ctx.factory) as session:
        tick(session, ctx.settings)


async def _whatsapp_groups(ctx: JobContext) -> None:
    await whatsapp.tick(ctx.channel(), ctx.factory, ctx.settings.locale)


def register(registry: Registry) -> None:
    """Join rules and polls every minute; WhatsApp groups (Graph calls) every 15 seconds."""
    registry.add_periodic(PeriodicSpec("community.tick", EVERY, _tick))
    registry.add_periodic(
        PeriodicSpec("community.whatsapp_groups", WHATSAPP_EVERY, _whatsapp_groups, role=DISPATCH)
    )
