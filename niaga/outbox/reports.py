"""What the outbox tells the owner of message state after a send attempt.

The outbox keeps its own rows (attempts, errors, its wamid); a message's status and wamid are
the inbox's. The dispatcher hands each outcome to the :class:`MessageStates` it was given, in
the transaction that records it, and the inbox applies it by the same forward-only rule as
Meta's statuses. Crash recovery asks the same owner which sends Meta has confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy.orm import Session

Outcome = Literal["sent", "failed", "in_doubt"]


@dataclass(frozen=True)
class SendReport:
    """The outcome of sending the outbox row of one message."""

    message_id: int
    outcome: Outcome
    at: datetime
    wamid: str | None = None
    error_code: int | None = None
    error_title: str | None = None
    error_detail: str | None = None


class MessageStates(Protocol):
    """The owner of message state, as the outbox sees it."""

    def apply_reports(self, session: Session, reports: Sequence[SendReport]) -> None:
        """Apply send reports to their messages inside the recording transaction."""
        ...

    def confirmed_sends(self, session: Session, keys: Sequence[str]) -> dict[str, str]:
        """Of these idempotency keys, those a status from Meta echoed: key → wamid."""
        ...
