"""Writing templates in Niaga: drafts, Meta's rules checked before submission with the field
each problem is about, the guide's advice while writing, and the record of a submission."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from niaga.channels.template_definition import TemplateDefinition, UrlButton
from niaga.channels.whatsapp.template_rules import (
    creation_request,
    listed_components,
    problems,
)
from niaga.channels.whatsapp.types import TemplateListing
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.core.i18n import gettext
from niaga.templates import service
from niaga.templates.models import MessageTemplate
from niaga.templates.presets import BASE, PRESETS

SHORT_BODY = 300  # the guide: short and clear; most customers read the first lines only
CALL_TO_ACTION = re.compile(
    r"\b(pesan|order|beli|belanja|klik|balas|hubungi|kunjungi|daftar|cek|lihat|"
    r"buy|shop|click|reply|call|visit|book|see|get)\b",
    re.IGNORECASE,
)
OPT_OUT = re.compile(r"\b(berhenti|stop|unsubscribe)\b", re.IGNORECASE)


class TemplateInvalid(DomainError):
    """The template breaks one or more of Meta's rules (``extra.problems`` lists them all)."""

    def __init__(self, found: list[dict[str, str]], first: str, first_field: str) -> None:
        super().__init__(
            "template_invalid",
            "{problem}",
            field=first_field,
            extra={"problems": found},
            problem=first,
        )


class TemplateExists(ConflictError):
    """Another template already has this name in this language."""

    def __init__(self, name: str, language: str) -> None:
        super().__init__(
            "template_exists",
            "A template {name} in {language} exists already; choose another name.",
            field="name",
            name=name,
            language=language,
        )


class TemplateNotEditable(ConflictError):
    """Only drafts are edited in Niaga; what WhatsApp holds is changed by a new template."""

    def __init__(self, status: str) -> None:
        super().__init__(
            "template_not_editable",
            "This template is {status} at WhatsApp; write a new one (another name) instead.",
            status=status,
        )


def check(definition: TemplateDefinition, locale: str) -> list[dict[str, str]]:
    """Every rule of Meta's review the definition breaks: ``[{field, message}]``."""
    return [
        {"field": p.field, "message": gettext(p.msgid, locale, **p.params)}
        for p in problems(definition)
    ]


def require_valid(definition: TemplateDefinition, locale: str = "id") -> None:
    """Raise :class:`TemplateInvalid` naming every broken rule."""
    found = check(definition, locale)
    if found:
        raise TemplateInvalid(found, found[0]["message"], found[0]["field"])


def advice(definition: TemplateDefinition, locale: str) -> list[str]:
    """The guide's advice for this draft: short, personal, a clear next step, a way out."""
    tips: list[str] = []
    if len(definition.body) > SHORT_BODY:
        tips.append(
            gettext(
                "Keep it short: {length} characters. Most customers read only the first lines; "
                "aim for under {short}.",
                locale,
                length=len(definition.body),
                short=SHORT_BODY,
            )
        )
    if not definition.parameters(definition.body):
        tips.append(
            gettext(
                "Make it personal: greet the customer by name, e.g. {example}.",
                locale,
                example="{{nama}}",
            )
        )
    if not definition.buttons and not CALL_TO_ACTION.search(definition.body):
        tips.append(
            gettext(
                "End with a call to action: a button or a clear next step such as {example}.",
                locale,
                example="“Pesan sekarang”",
            )
        )
    if definition.category == "MARKETING":
        texts = [definition.footer or "", *(getattr(b, "text", "") for b in definition.buttons)]
        if not any(OPT_OUT.search(t) for t in texts):
            tips.append(
                gettext(
                    "Tell customers how to stop promotions (a footer or a quick reply such as "
                    "{example}).",
                    locale,
                    example="“Berhenti promo”",
                )
            )
    return tips


def presets(language: str, base_url: str = BASE) -> dict[str, TemplateDefinition]:
    """The guide's templates to start from, in ``language`` (Indonesian when unknown), their
    link buttons pointing at ``base_url``'s tracked links (``/l/{{1}}``)."""
    out: dict[str, TemplateDefinition] = {}
    for key, by_language in PRESETS.items():
        preset = by_language.get(language) or by_language["id"]
        buttons = [_based(b, base_url.rstrip("/")) for b in preset.buttons]
        out[key] = preset.model_copy(update={"buttons": buttons})
    return out


def _based(button: Any, base_url: str) -> Any:
    if not isinstance(button, UrlButton):
        return button
    return button.model_copy(
        update={
            "url": button.url.replace(BASE, base_url),
            "sample": (button.sample or "").replace(BASE, base_url) or None,
        }
    )


def do_save_draft(
    session: Session, definition: TemplateDefinition, template_id: int | None = None
) -> MessageTemplate:
    """Keep a draft (new, or an edit of a draft); rules are checked when it is submitted,
    not while it is written."""
    template = session.get(MessageTemplate, template_id) if template_id is not None else None
    if template_id is not None and template is None:
        raise NotFoundError("template_not_found", "Template not found.")
    if template is not None and template.status != "DRAFT":
        raise TemplateNotEditable(template.status)
    same = service.find(session, definition.name, definition.language)
    if same is not None and same is not template:
        raise TemplateExists(definition.name, definition.language)
    if template is None:
        template = MessageTemplate(name=definition.name, language=definition.language)
        session.add(template)
    template.name = definition.name
    template.language = definition.language
    template.category = definition.category
    template.parameter_format = definition.parameter_format
    template.definition = definition.model_dump(mode="json")
    template.status = "DRAFT"
    session.flush()
    return template


def do_record_submitted(
    session: Session, definition: TemplateDefinition, listing: TemplateListing
) -> MessageTemplate:
    """Meta accepted a submission: the template with Meta's id, status and our definition."""
    service.do_store_listed(session, [listing], source="submit")
    template = service.find(session, listing.name, listing.language)
    assert template is not None
    template.definition = definition.model_dump(mode="json")
    session.flush()
    return template


EDITABLE = ("APPROVED", "REJECTED", "PAUSED")


def edited_definition(template: MessageTemplate, definition: TemplateDefinition) -> None:
    """Check that ``definition`` may replace what Meta holds for ``template``: Meta edits an
    approved, rejected or paused template, never its name or language (those make a new
    template), nor the category of an approved one."""
    if template.status not in EDITABLE or not template.meta_id:
        raise TemplateNotEditable(template.status)
    if (definition.name, definition.language) != (template.name, template.language):
        raise DomainError(
            "template_rename",
            "A template's name and language stay; write a new template for another.",
            field="name",
        )
    if template.status == "APPROVED" and definition.category != (template.category or "").upper():
        raise DomainError(
            "template_recategorise",
            "An approved template keeps its category.",
            field="category",
        )


def do_record_edited(
    session: Session, template: MessageTemplate, definition: TemplateDefinition
) -> MessageTemplate:
    """Meta took the edit: the new definition, and the template is in review again."""
    template.definition = definition.model_dump(mode="json")
    template.category = definition.category
    template.components = listed_components(definition, creation_request(definition))
    service.do_mark_in_review(session, template)
    return template


def draft_definition(template: MessageTemplate) -> TemplateDefinition:
    """The definition of a draft about to be submitted (only drafts are submitted)."""
    definition = definition_of(template)
    if definition is None or template.status != "DRAFT":
        raise TemplateNotEditable(template.status)
    return definition


def definition_of(template: MessageTemplate) -> TemplateDefinition | None:
    """The template as written in Niaga, when it was (drafts and our submissions)."""
    if not template.definition:
        return None
    return TemplateDefinition.model_validate(template.definition)


def summary(template: MessageTemplate) -> dict[str, Any]:
    """What the template list shows: review state, quality and Meta's reason."""
    return {
        "id": template.id,
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "status": template.status,
        "quality": template.quality,
        "reason": template.reason,
        "written_in_niaga": template.definition is not None,
    }
