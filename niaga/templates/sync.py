"""Talking to the channel about templates: pull the list, submit new ones.

The channel calls the Graph API and reports what Meta said (typed listings); the templates
service stores it. Database work runs in a thread: never wait for the write lock on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.base import Channel
from niaga.channels.template_definition import TemplateDefinition
from niaga.channels.whatsapp.errors import GraphError, GraphTransportError
from niaga.channels.whatsapp.types import TemplateListing
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.errors import DomainError, UpstreamError
from niaga.templates import service


async def sync(channel: Channel, factory: sessionmaker[Session], waba_id: str) -> int:
    """Fetch every template of ``waba_id`` and store them; how many."""
    listed = await channel.list_templates(waba_id)

    def store() -> int:
        with transaction(factory) as session:
            return service.do_store_listed(session, listed)

    return await asyncio.to_thread(store)


@dataclass(frozen=True)
class Submission:
    """What Meta accepted of a submission, and the first template it refused (if any)."""

    accepted: list[tuple[TemplateDefinition, TemplateListing]]
    refused: str | None = None
    reason: str | None = None
    code: int | None = None


async def submit(
    channel: Channel, waba_id: str, definitions: Sequence[TemplateDefinition]
) -> Submission:
    """Submit templates for review, one by one, stopping at the first Meta refuses (or that
    cannot reach Meta). The caller records what was accepted
    (:func:`service.do_record_submitted`) in its own transaction."""
    accepted: list[tuple[TemplateDefinition, TemplateListing]] = []
    for definition in definitions:
        try:
            accepted.append((definition, await channel.submit_template(waba_id, definition)))
        except GraphError as exc:
            return Submission(accepted, definition.name, str(exc.message)[:300], exc.code)
        except GraphTransportError as exc:
            return Submission(accepted, definition.name, str(exc)[:300])
    return Submission(accepted)


async def submit_with(settings: Settings, definitions: Sequence[TemplateDefinition]) -> Submission:
    """:func:`submit` through a channel made from ``settings`` for the call, then closed."""
    from niaga.channels.whatsapp.channel import make_channel

    channel = make_channel(settings)
    try:
        return await submit(channel, settings.wa_business_account_id, definitions)
    finally:
        await channel.close()


def raise_if_refused(result: Submission) -> None:
    """A refusal as the error a person sees: 422 when Meta refused the template itself, 502
    when Meta could not be reached."""
    if not result.refused:
        return
    if result.code is not None:
        raise DomainError(
            "template_refused",
            "WhatsApp refused the template {name}: {reason}",
            name=result.refused,
            reason=result.reason or "",
        )
    raise UpstreamError(
        "template_submit_failed",
        "WhatsApp did not accept the template {name}: {reason}",
        name=result.refused,
        reason=result.reason or "",
    )
