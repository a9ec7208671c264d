"""Records the analytics tests share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from niaga.contacts.models import Contact
from niaga.inbox.models import Conversation, Message

WIB = ZoneInfo("Asia/Jakarta")


def last_weeks_sends(s: Session, statuses: Sequence[str]) -> None:
    """One customer's chat with the business's messages of Wednesday 25 November 10:00 WIB
    (the week of 23–29 November), one per status; a failed one with Meta's 131026."""
    contact = Contact(phone="+6281234500077", wa_id="6281234500077")
    s.add(contact)
    s.flush()
    chat = Conversation(contact_id=contact.id, phone_number_id="1", status="open")
    s.add(chat)
    s.flush()
    at = datetime(2026, 11, 25, 10, tzinfo=WIB).astimezone(UTC)
    for status in statuses:
        s.add(
            Message(
                conversation_id=chat.id,
                contact_id=contact.id,
                direction="out",
                type="text",
                status=status,
                origin="agent",
                error_code=131026 if status == "failed" else None,
                created_at=at,
                received_at=at,
            )
        )
