"""Contacts: the customers a business talks to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps


class Contact(Timestamps, Base):
    """A customer, keyed by E.164 phone and, when Meta sends one, by business-scoped user id."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    wa_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    parent_user_id: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    profile_name: Mapped[str | None] = mapped_column(String(256))
    display_name: Mapped[str | None] = mapped_column(String(256))
    last_inbound_at: Mapped[datetime | None]
    marketing_opt_out: Mapped[bool] = mapped_column(default=False)
    marketing_opt_out_at: Mapped[datetime | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    # Set when the person's data was erased on request (niaga.privacy.erasure): the row stays
    # for the business's figures, with nothing left that identifies them.
    erased_at: Mapped[datetime | None]

    @property
    def name(self) -> str:
        """Best name to show a person."""
        return self.display_name or self.profile_name or self.phone or self.user_id or "?"


class Label(Timestamps, Base):
    """A coloured tag for contacts and conversations (e.g. "Keluhan", "Pelanggan Setia")."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")
    description: Mapped[str | None] = mapped_column(String(500))


class ContactLabel(Base):
    """A label on a contact; ``rule_id`` says which automation rule added it, if any."""

    __tablename__ = "contact_labels"
    __table_args__ = (UniqueConstraint("contact_id", "label_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    added_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rule_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


CONSENT_PURPOSES = ("marketing",)
CONSENT_SOURCES = (
    "chat",  # the customer asked in the chat (opt-out or opt-in keyword, a stop button)
    "whatsapp",  # Meta's user_preferences webhook (the customer used WhatsApp's own control)
    "import",  # a customer list the owner imported, with the consent it records
    "agent",  # an agent recorded what the customer said elsewhere
    "api",  # another system, through /api/v1
)


class ConsentEvent(Base):
    """One entry of a contact's consent ledger for a purpose (append-only): granted or
    withdrawn, where it came from and its proof. The latest entry is the contact's state;
    ``Contact.marketing_opt_out`` mirrors it for fast audience queries."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_contact_purpose_at", "contact_id", "purpose", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(16))
    proof: Mapped[str | None] = mapped_column(Text)  # the customer's words, the file and row…
    message_wamid: Mapped[str | None] = mapped_column(String(256))
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=clock.now)


class ContactImport(Timestamps, Base):
    """A customer list read from a file: its dry-run report and the rows to import, until the
    owner confirms (then only the report is kept)."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # dry_run | imported
    report: Mapped[dict[str, Any]]
    rows: Mapped[list[Any] | None] = mapped_column(JSONType)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
