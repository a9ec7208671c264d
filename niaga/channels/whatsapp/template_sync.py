"""Keep the local copy of the business's message templates in step with Meta.

Template status webhooks update single templates; this pulls the whole list (on start and
when an agent asks), so the composer can offer approved templates with their parameters.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import MessageTemplate
from niaga.core.db import transaction

PARAM = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def do_store_templates(session: Session, items: list[dict[str, Any]]) -> int:
    """Upsert templates as listed by the Graph API; returns how many were stored."""
    count = 0
    for item in items:
        name, language = item.get("name"), item.get("language")
        if not isinstance(name, str) or not isinstance(language, str):
            continue
        row = session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.name == name, MessageTemplate.language == language
            )
        ).first()
        if row is None:
            row = MessageTemplate(name=name, language=language)
            session.add(row)
        row.meta_id = str(item.get("id") or row.meta_id or "") or None
        row.category = item.get("category") or row.category
        row.status = str(item.get("status") or row.status or "PENDING").upper()
        row.parameter_format = str(item.get("parameter_format") or "POSITIONAL").upper()
        row.components = item.get("components") or []
        count += 1
    session.flush()
    return count


async def sync_templates(channel: Any, factory: sessionmaker[Session], waba_id: str) -> int:
    """Fetch every template of ``waba_id`` through ``channel`` and store them."""
    items = await channel.list_templates(waba_id)

    def store() -> int:
        with transaction(factory) as session:
            return do_store_templates(session, items)

    # Never wait for the database's write lock on the event loop: a request holding the lock
    # may need the loop to finish its transaction.
    return await asyncio.to_thread(store)


def template_fields(template: MessageTemplate) -> dict[str, Any]:
    """What the composer needs: body text, its parameters, a text header's parameter."""
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
    seen: list[str] = []
    for p in body_params:
        if p not in seen:
            seen.append(p)
    return {
        "id": template.id,
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "named": template.parameter_format == "NAMED",
        "body": body,
        "header": header,
        "footer": footer,
        "body_params": seen,
        "header_param": header_param,
        "header_media": header_media,
        "url_buttons": url_buttons,
        "buttons": buttons,
    }
