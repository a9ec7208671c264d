"""Talking to the channel about templates: pull the list, submit new ones.

The channel calls the Graph API and reports what Meta said (typed listings); the templates
service stores it. Database work runs in a thread: never wait for the write lock on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.base import Channel
from niaga.channels.template_definition import MEDIA_HEADERS, MediaSample, TemplateDefinition
from niaga.channels.whatsapp.errors import GraphError, GraphTransportError
from niaga.channels.whatsapp.types import TemplateListing
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.errors import DomainError, UpstreamError
from niaga.templates import samples, service


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
    channel: Channel,
    waba_id: str,
    definitions: Sequence[TemplateDefinition],
    data_dir: Path | None = None,
) -> Submission:
    """Submit templates for review, one by one, stopping at the first Meta refuses (or that
    cannot reach Meta); a media header goes with its example file from ``data_dir``. The
    caller records what was accepted (:func:`service.do_record_submitted`) in its own
    transaction."""
    accepted: list[tuple[TemplateDefinition, TemplateListing]] = []
    for definition in definitions:
        try:
            sample = _sample_of(definition, data_dir)
            accepted.append(
                (definition, await channel.submit_template(waba_id, definition, sample))
            )
        except GraphError as exc:
            return Submission(accepted, definition.name, _why(exc), exc.code)
        except GraphTransportError as exc:
            return Submission(accepted, definition.name, str(exc)[:300])
    return Submission(accepted)


async def submit_with(settings: Settings, definitions: Sequence[TemplateDefinition]) -> Submission:
    """:func:`submit` through a channel made from ``settings`` for the call, then closed."""
    from niaga.channels.whatsapp.channel import make_channel

    channel = make_channel(settings)
    try:
        return await submit(
            channel, settings.wa_business_account_id, definitions, settings.data_dir
        )
    finally:
        await channel.close()


async def edit_with(settings: Settings, meta_id: str, definition: TemplateDefinition) -> Submission:
    """Change a template Meta holds to ``definition`` (a channel made for the call); the
    result says whether Meta took the change. It is reviewed again."""
    from niaga.channels.whatsapp.channel import make_channel

    channel = make_channel(settings)
    try:
        sample = _sample_of(definition, settings.data_dir)
        await channel.edit_template(meta_id, definition, sample)
    except GraphError as exc:
        return Submission([], definition.name, _why(exc), exc.code)
    except GraphTransportError as exc:
        return Submission([], definition.name, str(exc)[:300])
    finally:
        await channel.close()
    return Submission([])


def _why(exc: GraphError) -> str:
    """Meta's message with its details (the details say what was wrong)."""
    text = str(exc.message)
    if exc.details and exc.details not in text:
        text += f": {exc.details}"
    return text[:300]


def _sample_of(definition: TemplateDefinition, data_dir: Path | None) -> MediaSample | None:
    if definition.header not in MEDIA_HEADERS or not definition.header_sample:
        return None
    return samples.load(definition.header_sample, data_dir or Path("var"))


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
