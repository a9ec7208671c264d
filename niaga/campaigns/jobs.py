"""Campaigns' background work on every new inbound message: opt-outs and opt-ins, and chats
started from a click-to-chat link."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from niaga.campaigns import links, optout
from niaga.core.config import Settings
from niaga.inbox.models import Message


def reaction(settings: Settings) -> Callable[[Session, int], None]:
    """What the automation queue runs for campaigns on each new inbound message (before the
    rules, so a "STOP" is honoured before anything else answers)."""

    def campaigns(session: Session, message_id: int) -> None:
        optout.handle_message(session, message_id, settings)
        message = session.get(Message, message_id)
        if message is not None and message.direction == "in" and message.type == "text":
            links.do_record_start(session, message)

    return campaigns
