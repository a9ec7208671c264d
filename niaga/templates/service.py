"""The business's message templates: what Meta said about them, and what features ask of them.

Three sources move a template, all through :func:`_move`: Meta's review and quality webhooks,
a sync of Meta's list, and our own submission. Each change of status or quality is kept in
:class:`~niaga.templates.models.TemplateChange` and announced with
``template.status_changed``. Orders, automation and the inbox ask through :func:`approved`
and :func:`composer_templates`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.channels.whatsapp.types import (
    TemplateListing,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
)
from niaga.core import clock, events
from niaga.templates import samples
from niaga.templates.models import MessageTemplate, TemplateChange

PARAM = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def find(session: Session, name: str, language: str) -> MessageTemplate | None:
    """The template called ``name`` in ``language``, if Niaga knows it."""
    return session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.name == name, MessageTemplate.language == language
        )
    ).first()


def _find_or_add(
    session: Session, meta_id: str | None, name: str, language: str
) -> MessageTemplate:
    template = None
    if meta_id:
        template = session.scalars(
            select(MessageTemplate).where(MessageTemplate.meta_id == meta_id)
        ).first()
    if template is None and name:
        template = find(session, name, language)
    if template is None:
        template = MessageTemplate(
            name=name, language=language, meta_id=meta_id, status="PENDING", quality=None
        )
        session.add(template)
        session.flush()
    return template


def _move(
    session: Session,
    template: MessageTemplate,
    *,
    status: str | None = None,
    quality: str | None = None,
    reason: str | None = None,
    source: str,
    at: datetime | None = None,
) -> None:
    """Set status and/or quality, keeping each change in the history and announcing it."""
    when = at or clock.now()
    if status is not None and status != template.status:
        session.add(
            TemplateChange(
                template_id=template.id,
                kind="status",
                old_value=template.status,
                new_value=status,
                reason=reason,
                source=source,
                at=when,
            )
        )
        template.status = status
        events.emit_on_commit(
            session, events.TEMPLATE_STATUS_CHANGED, template_id=template.id, status=status
        )
    if status is not None:
        template.reason = reason
    if quality is not None and quality != template.quality:
        session.add(
            TemplateChange(
                template_id=template.id,
                kind="quality",
                old_value=template.quality,
                new_value=quality,
                source=source,
                at=when,
            )
        )
        template.quality = quality
    session.flush()


def do_record_review(session: Session, update: TemplateStatusUpdate) -> MessageTemplate:
    """Meta approved, rejected, paused or disabled a template (review webhook)."""
    template = _find_or_add(session, update.template_id, update.name, update.language)
    template.meta_id = template.meta_id or update.template_id
    if update.category:
        template.category = update.category
    _move(
        session,
        template,
        status=update.event,
        reason=update.reason,
        source="webhook",
        at=update.timestamp,
    )
    return template


def do_mark_in_review(session: Session, template: MessageTemplate) -> None:
    """Our edit went to Meta: PENDING until the review webhook says otherwise."""
    _move(session, template, status="PENDING", source="submit")


def do_record_quality(session: Session, update: TemplateQualityUpdate) -> MessageTemplate:
    """Meta changed a template's quality score (GREEN, YELLOW, RED)."""
    template = _find_or_add(session, update.template_id, update.name, update.language)
    _move(session, template, quality=update.new_quality, source="webhook")
    return template


def do_store_listed(
    session: Session, listed: Sequence[TemplateListing], *, source: str = "sync"
) -> int:
    """Templates as Meta lists them (or accepted them): definition and status; returns how
    many were stored."""
    for item in listed:
        template = _find_or_add(session, item.meta_id, item.name, item.language)
        template.meta_id = item.meta_id or template.meta_id
        template.category = item.category or template.category
        template.parameter_format = item.parameter_format
        template.components = list(item.components)
        status = item.status
        if source == "submit" and template.status == "APPROVED":
            status = "APPROVED"  # a resubmission does not undo an approval we were told of
        _move(session, template, status=status, source=source)
    return len(listed)


def approved(session: Session, name: str, language: str) -> bool:
    """True when Meta reported ``name`` APPROVED (and nothing has paused it since)."""
    template = find(session, name, language)
    return template is not None and template.status == "APPROVED"


def known_names(session: Session, language: str) -> set[str]:
    """Names of the templates WhatsApp knows in ``language`` (submitted or listed; drafts
    written in Niaga are not)."""
    return set(
        session.scalars(
            select(MessageTemplate.name).where(
                MessageTemplate.language == language, MessageTemplate.status != "DRAFT"
            )
        ).all()
    )


def history(session: Session, template_id: int) -> list[TemplateChange]:
    """How a template's review status and quality moved, oldest first."""
    return list(
        session.scalars(
            select(TemplateChange)
            .where(TemplateChange.template_id == template_id)
            .order_by(TemplateChange.at, TemplateChange.id)
        )
    )


def composer_templates(session: Session) -> list[dict[str, Any]]:
    """Approved templates with what the composer needs to fill them."""
    rows = session.scalars(
        select(MessageTemplate)
        .where(
            MessageTemplate.status == "APPROVED",
            # One-time codes come from the business's own system, through the API.
            func.coalesce(MessageTemplate.category, "") != "AUTHENTICATION",
        )
        .order_by(MessageTemplate.name, MessageTemplate.language)
    )
    return [composer_fields(t) for t in rows]


def composer_fields(template: MessageTemplate, public_url: str | None = None) -> dict[str, Any]:
    """Body text and its parameters, a text header's parameter, media header (with the link
    of its example file under ``public_url``, when written in Niaga), buttons."""
    body, header, footer = "", None, None
    body_params: list[str] = []
    header_param: str | None = None
    header_media: str | None = None
    url_buttons: list[dict[str, Any]] = []
    buttons: list[str] = []
    for comp in template.components or []:
        kind = str(comp.get("type", "")).upper()
        if kind == "BODY":
            body = str(comp.get("text") or "")
            body_params = PARAM.findall(body)
        elif kind == "HEADER":
            fmt = str(comp.get("format", "TEXT")).upper()
            if fmt == "TEXT":
                header = str(comp.get("text") or "")
                found = PARAM.findall(header)
                header_param = found[0] if found else None
            elif fmt in ("IMAGE", "VIDEO", "DOCUMENT"):
                header_media = fmt.lower()
        elif kind == "FOOTER":
            footer = comp.get("text")
        elif kind == "BUTTONS":
            for index, button in enumerate(comp.get("buttons") or []):
                buttons.append(str(button.get("text") or ""))
                url = str(button.get("url") or "")
                if str(button.get("type", "")).upper() == "URL" and PARAM.search(url):
                    url_buttons.append({"index": index, "text": button.get("text"), "url": url})
    sample = (template.definition or {}).get("header_sample") if header_media else None
    return {
        "id": template.id,
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "named": template.parameter_format == "NAMED",
        "body": body,
        "header": header,
        "footer": footer,
        "body_params": list(dict.fromkeys(body_params)),
        "header_param": header_param,
        "header_media": header_media,
        "header_sample": sample,
        "header_sample_url": samples.url_of(sample, public_url) if sample and public_url else None,
        "url_buttons": url_buttons,
        "buttons": buttons,
    }
