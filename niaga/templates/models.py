"""A message template as Meta last reported it, and how its review and quality moved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core import clock
from niaga.core.db import Base, JSONType, Timestamps


class MessageTemplate(Timestamps, Base):
    """A message template (name + language is unique); ``components`` in the channel's own
    template format, as submitted or as listed."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meta_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="PENDING")
    parameter_format: Mapped[str] = mapped_column(String(16), default="POSITIONAL")
    components: Mapped[list[Any] | None] = mapped_column(JSONType)
    reason: Mapped[str | None] = mapped_column(Text)
    quality: Mapped[str | None] = mapped_column(String(16))
    # The template as written in Niaga (a TemplateDefinition), for drafts and our submissions.
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class TemplateChange(Base):
    """One step of a template's history: its review status or quality score changed
    (``source``: the review webhook, a sync of the list, or our submission)."""

    __tablename__ = "template_changes"
    __table_args__ = (Index("ix_template_changes_template_at", "template_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("message_templates.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # status | quality
    old_value: Mapped[str | None] = mapped_column(String(32))
    new_value: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # webhook | sync | submit
    at: Mapped[datetime] = mapped_column(default=clock.now)
