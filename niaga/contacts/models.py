"""Contacts: the customers a business talks to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core.db import Base, Timestamps


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

    @property
    def name(self) -> str:
        """Best name to show a person."""
        return self.display_name or self.profile_name or self.phone or self.user_id or "?"
