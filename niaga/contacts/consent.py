"""A contact's consent per purpose, as an append-only ledger (UU PDP, Meta's opt-in policy).

Every grant and withdrawal is an entry with its source and proof; the latest entry is the
state. For marketing, ``Contact.marketing_opt_out`` mirrors it in the same transaction, so
audience queries and a campaign's sender read one column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.contacts.models import CONSENT_PURPOSES, CONSENT_SOURCES, ConsentEvent, Contact
from niaga.core import clock, events


@dataclass(frozen=True)
class ConsentState:
    """Where a contact stands for a purpose: ``granted`` True/False, or None (never asked)."""

    granted: bool | None
    source: str | None = None
    at: datetime | None = None


def state(session: Session, contact_id: int, purpose: str = "marketing") -> ConsentState:
    """The latest entry of the contact's ledger for ``purpose``."""
    latest = session.scalars(
        select(ConsentEvent)
        .where(ConsentEvent.contact_id == contact_id, ConsentEvent.purpose == purpose)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return ConsentState(None)
    return ConsentState(latest.granted, latest.source, latest.at)


def history(session: Session, contact_id: int) -> list[ConsentEvent]:
    """Every entry of the contact's ledger, oldest first."""
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.contact_id == contact_id)
            .order_by(ConsentEvent.at, ConsentEvent.id)
        )
    )


def do_record(
    session: Session,
    contact: Contact,
    *,
    granted: bool,
    source: str,
    purpose: str = "marketing",
    proof: str | None = None,
    message_wamid: str | None = None,
    user_id: int | None = None,
    at: datetime | None = None,
) -> bool:
    """Add an entry to the ledger; returns whether the contact's state changed.

    An entry that says what the ledger already says is still kept (it is proof too), but
    changes nothing and announces nothing.
    """
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    if source not in CONSENT_SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    when = at or clock.now()
    before = state(session, contact.id, purpose)
    session.add(
        ConsentEvent(
            contact_id=contact.id,
            purpose=purpose,
            granted=granted,
            source=source,
            proof=proof[:2000] if proof else None,
            message_wamid=message_wamid,
            recorded_by_user_id=user_id,
            at=when,
        )
    )
    changed = before.granted is not granted
    if purpose == "marketing":
        contact.marketing_opt_out = not granted
        contact.marketing_opt_out_at = None if granted else when
    session.flush()
    if changed:
        events.emit_on_commit(
            session,
            events.CONTACT_CONSENT_CHANGED,
            contact_id=contact.id,
            purpose=purpose,
            granted=granted,
            source=source,
        )
        if not granted and purpose == "marketing":
            events.emit_on_commit(session, events.CONTACT_OPTED_OUT, contact_id=contact.id)
    return changed
