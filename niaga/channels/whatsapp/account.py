"""Non-message webhook fields: template status and quality, account notifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.channels.whatsapp.models import AccountEvent, MessageTemplate
from niaga.channels.whatsapp.types import TemplateQualityUpdate, TemplateStatusUpdate
from niaga.core import events


def _template(
    session: Session, template_id: str | None, name: str, language: str
) -> MessageTemplate:
    stmt = select(MessageTemplate)
    stmt = (
        stmt.where(MessageTemplate.meta_id == template_id)
        if template_id
        else stmt.where(MessageTemplate.name == name, MessageTemplate.language == language)
    )
    template = session.scalars(stmt).first()
    if template is None and template_id:
        template = session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.name == name, MessageTemplate.language == language
            )
        ).first()
    if template is None:
        template = MessageTemplate(name=name, language=language, meta_id=template_id)
        session.add(template)
    return template


def do_record_template_status(session: Session, update: TemplateStatusUpdate) -> MessageTemplate:
    """Meta approved, rejected, paused or disabled a template."""
    template = _template(session, update.template_id, update.name, update.language)
    template.meta_id = template.meta_id or update.template_id
    template.status = update.event
    template.reason = update.reason
    if update.category:
        template.category = update.category
    session.flush()
    events.emit_on_commit(
        session, events.TEMPLATE_STATUS_CHANGED, template_id=template.id, status=update.event
    )
    return template


def do_record_template_quality(session: Session, update: TemplateQualityUpdate) -> None:
    """Meta changed a template's quality score."""
    template = _template(session, update.template_id, update.name, update.language)
    template.quality = update.new_quality
    session.flush()


def do_record_account_event(
    session: Session, *, field: str, event: str | None, waba_id: str | None, payload: Any, at: Any
) -> AccountEvent:
    """Keep an account-level notification (or an unknown field) for people to inspect."""
    row = AccountEvent(
        field=field,
        event=event,
        waba_id=waba_id,
        payload=payload if isinstance(payload, dict) else {"value": payload},
        occurred_at=at,
    )
    session.add(row)
    session.flush()
    return row
