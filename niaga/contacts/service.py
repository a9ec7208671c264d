"""Commands on contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.contacts.models import Contact, Label
from niaga.core.phone import e164_from_wa_id


def find_contact(
    session: Session, *, wa_id: str | None = None, user_id: str | None = None
) -> Contact | None:
    """The contact with this BSUID or this ``wa_id`` (BSUID first: it survives number changes)."""
    clauses = []
    if user_id:
        clauses.append(Contact.user_id == user_id)
    if wa_id:
        clauses.append(Contact.wa_id == wa_id)
    if not clauses:
        return None
    found = session.scalars(select(Contact).where(or_(*clauses))).all()
    if user_id:
        for contact in found:
            if contact.user_id == user_id:
                return contact
    return found[0] if found else None


def find_label(session: Session, name: str) -> Label | None:
    """The label called ``name``, whatever its case."""
    return session.scalars(select(Label).where(func.lower(Label.name) == name.lower())).first()


def do_upsert_contact_from_whatsapp(
    session: Session,
    *,
    wa_id: str | None,
    user_id: str | None = None,
    parent_user_id: str | None = None,
    profile_name: str | None = None,
    username: str | None = None,
) -> Contact:
    """Find or create the contact a webhook names, and refresh what Meta told us about it."""
    if not wa_id and not user_id:
        raise ValueError("a WhatsApp contact needs a wa_id or a user_id")
    for _ in range(3):
        contact = find_contact(session, wa_id=wa_id, user_id=user_id)
        if contact is None:
            contact = Contact(
                wa_id=wa_id,
                phone=e164_from_wa_id(wa_id) if wa_id else None,
                user_id=user_id,
            )
            try:
                with session.begin_nested():
                    session.add(contact)
                    session.flush()
            except IntegrityError:
                continue  # another process created it first; read it again
        refresh_from_whatsapp(contact, wa_id, user_id, parent_user_id, profile_name, username)
        return contact
    raise RuntimeError("could not create contact")  # pragma: no cover


def refresh_from_whatsapp(
    contact: Contact,
    wa_id: str | None,
    user_id: str | None,
    parent_user_id: str | None,
    profile_name: str | None,
    username: str | None,
) -> None:
    """Take what a webhook says about its sender into the contact (never clearing a field)."""
    if wa_id and contact.wa_id != wa_id and contact.wa_id is None:
        contact.wa_id = wa_id
        contact.phone = contact.phone or e164_from_wa_id(wa_id)
    if user_id and not contact.user_id:
        contact.user_id = user_id
    if parent_user_id:
        contact.parent_user_id = parent_user_id
    if profile_name:
        contact.profile_name = profile_name
    if username:
        contact.username = username


def do_change_number(session: Session, contact: Contact, new_wa_id: str) -> None:
    """A ``system.user_changed_number`` message: the customer moved to a new number."""
    clash = find_contact(session, wa_id=new_wa_id)
    if clash is not None and clash.id != contact.id:
        clash.wa_id = None
        clash.phone = None
        session.flush()
    contact.wa_id = new_wa_id
    contact.phone = e164_from_wa_id(new_wa_id)


def do_set_marketing_preference(
    session: Session,
    *,
    wa_id: str | None,
    user_id: str | None,
    value: str,
    at: datetime,
    detail: str | None = None,
) -> Contact | None:
    """Apply a ``user_preferences`` webhook: "stop" withdraws marketing consent, "resume"
    grants it again (recorded in the consent ledger, source ``whatsapp``)."""
    from niaga.contacts import consent

    if value not in ("stop", "resume"):
        return None
    contact = find_contact(session, wa_id=wa_id, user_id=user_id)
    if contact is None:
        if not wa_id and not user_id:
            return None
        contact = do_upsert_contact_from_whatsapp(session, wa_id=wa_id, user_id=user_id)
    consent.do_record(
        session,
        contact,
        granted=value == "resume",
        source="whatsapp",
        proof=detail or f"user_preferences: {value}",
        at=at,
    )
    return contact
