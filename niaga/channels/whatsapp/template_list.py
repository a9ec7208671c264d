"""Meta's template objects (``GET``/``POST /{waba-id}/message_templates``) as typed listings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from niaga.channels.whatsapp.types import TemplateListing


def listing_of(item: Any) -> TemplateListing | None:
    """One template of Meta's list; ``None`` when it has no name or language."""
    if not isinstance(item, Mapping):
        return None
    name, language = item.get("name"), item.get("language")
    if not isinstance(name, str) or not isinstance(language, str):
        return None
    components = item.get("components")
    return TemplateListing(
        meta_id=str(item.get("id") or "") or None,
        name=name,
        language=language,
        status=str(item.get("status") or "PENDING").upper(),
        category=str(item.get("category") or "").upper() or None,
        parameter_format=str(item.get("parameter_format") or "POSITIONAL").upper(),
        components=list(components) if isinstance(components, list) else [],
    )


def submitted_listing(request: Mapping[str, Any], answer: Mapping[str, Any]) -> TemplateListing:
    """What Meta accepted on submission: the request's definition with Meta's id and status."""
    components = request.get("components")
    return TemplateListing(
        meta_id=str(answer.get("id") or "") or None,
        name=str(request.get("name") or ""),
        language=str(request.get("language") or ""),
        status=str(answer.get("status") or "PENDING").upper(),
        category=str(answer.get("category") or request.get("category") or "").upper() or None,
        parameter_format=str(request.get("parameter_format") or "POSITIONAL").upper(),
        components=list(components) if isinstance(components, list) else [],
    )
