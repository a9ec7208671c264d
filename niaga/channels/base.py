"""The channel protocol: what domain code may ask of a messaging channel.

Domain code (inbox, campaigns, the dispatcher) talks to this protocol, never to an HTTP client
or raw Meta JSON. Failures raise :class:`~niaga.channels.whatsapp.errors.GraphError` (Meta said
no) or :class:`~niaga.channels.whatsapp.errors.GraphTransportError` (no answer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from niaga.channels.template_definition import MediaSample, TemplateDefinition
from niaga.channels.whatsapp.errors import UnsendableMessage
from niaga.channels.whatsapp.graph import MediaInfo, SentMessage
from niaga.channels.whatsapp.types import TemplateListing

__all__ = ["Channel", "MediaInfo", "SentMessage", "UnsendableMessage"]


@runtime_checkable
class Channel(Protocol):
    """A messaging channel (WhatsApp Cloud API or the sandbox)."""

    async def send_message(
        self,
        phone_number_id: str,
        message: Mapping[str, Any],
        *,
        to: str,
        reply_to: str | None = None,
        callback_data: str | None = None,
    ) -> SentMessage:
        """Send a Niaga outgoing message (an ``OutgoingMessage`` dump) to ``to``, quoting
        ``reply_to``; the channel renders its own request. ``callback_data`` comes back with the
        message's statuses. Raises :class:`UnsendableMessage` when it cannot be rendered."""
        ...

    async def send(self, phone_number_id: str, body: Mapping[str, Any]) -> SentMessage:
        """Send a request body the channel rendered already (rows queued before 0009)."""
        ...

    async def mark_read(self, phone_number_id: str, wamid: str, typing: bool = False) -> None:
        """Mark an inbound message read, optionally showing a typing indicator."""
        ...

    async def upload_media(
        self, phone_number_id: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a file; returns its media id."""
        ...

    async def get_media(self, media_id: str) -> MediaInfo:
        """Download URL and metadata of a media object."""
        ...

    async def download_media(self, url: str) -> bytes:
        """The bytes behind a media URL from :meth:`get_media`."""
        ...

    async def delete_media(self, media_id: str) -> None:
        """Delete an uploaded media object."""
        ...

    async def list_templates(
        self, waba_id: str, *, name: str | None = None, status: str | None = None
    ) -> list[TemplateListing]:
        """All message templates of a WhatsApp Business Account."""
        ...

    async def create_template(self, waba_id: str, template: Mapping[str, Any]) -> TemplateListing:
        """Submit a template for review; what was accepted (its id and first status)."""
        ...

    async def submit_template(
        self, waba_id: str, definition: TemplateDefinition, sample: MediaSample | None = None
    ) -> TemplateListing:
        """Submit a template written in Niaga's terms (a media header with its example file);
        what was accepted."""
        ...

    async def edit_template(
        self, template_id: str, definition: TemplateDefinition, sample: MediaSample | None = None
    ) -> None:
        """Change a template the channel holds; it is reviewed again."""
        ...

    async def delete_template(self, waba_id: str, name: str, hsm_id: str | None = None) -> None:
        """Delete a template by name (optionally one language by ``hsm_id``)."""
        ...

    async def get_phone_number(
        self, phone_number_id: str, fields: Sequence[str] = ...
    ) -> dict[str, Any]:
        """Details of a business phone number."""
        ...

    async def messaging_limit(self, phone_number_id: str) -> tuple[str, int | None]:
        """The messaging limit tier and the unique customers it allows in 24 h (None: none)."""
        ...

    async def get_business_profile(self, phone_number_id: str) -> dict[str, Any]:
        """The business profile customers see."""
        ...

    async def update_business_profile(
        self, phone_number_id: str, profile: Mapping[str, Any]
    ) -> None:
        """Change business profile fields."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
