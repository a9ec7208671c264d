"""Campaigns' background work: opt-outs and opt-ins read from every new inbound message."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from niaga.campaigns import optout
from niaga.core.config import Settings


def reaction(settings: Settings) -> Callable[[Session, int], None]:
    """What the automation queue runs for consent on each new inbound message (before the
    rules, so a "STOP" is honoured before anything else answers)."""

    def consent(session: Session, message_id: int) -> None:
        optout.handle_message(session, message_id, settings)

    return consent
