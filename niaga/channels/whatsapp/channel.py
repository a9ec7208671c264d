"""The WhatsApp channel: the :class:`~niaga.channels.base.Channel` protocol over the Graph API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import msgspec

from niaga.channels.template_definition import MediaSample, TemplateDefinition
from niaga.channels.whatsapp.errors import UnsendableMessage
from niaga.channels.whatsapp.graph import (
    DEFAULT_PHONE_FIELDS,
    GraphClient,
    MediaInfo,
    SentMessage,
)
from niaga.channels.whatsapp.outgoing import parse_outgoing
from niaga.channels.whatsapp.template_list import listing_of, submitted_listing
from niaga.channels.whatsapp.template_rules import creation_request, listed_components
from niaga.channels.whatsapp.types import TemplateListing

__all__ = ["WhatsAppChannel", "tier_limit"]

TIERS = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_1K": 1_000,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
}


def tier_limit(tier: str) -> int | None:
    """The number of customers a ``messaging_limit_tier`` allows (None: unlimited or unknown)."""
    return TIERS.get(tier.upper())


if TYPE_CHECKING:
    from niaga.core.config import Settings


class WhatsAppChannel:
    """Implements :class:`~niaga.channels.base.Channel` by delegating to a :class:`GraphClient`."""

    def __init__(self, client: GraphClient, app_id: str = "") -> None:
        self.client = client
        self.app_id = app_id  # Meta's app: the Resumable Upload API works per app

    async def send_message(
        self,
        phone_number_id: str,
        message: Mapping[str, Any],
        *,
        to: str,
        reply_to: str | None = None,
        callback_data: str | None = None,
    ) -> SentMessage:
        """Render a Niaga outgoing message as a Graph body and send it."""
        try:
            body = parse_outgoing(message).to_graph_body(
                to, context_wamid=reply_to, callback_data=callback_data
            )
        except ValueError as exc:  # pydantic's ValidationError is one too
            raise UnsendableMessage(f"cannot send this message: {exc}") from exc
        return await self.client.send_message(phone_number_id, body)

    async def send(self, phone_number_id: str, body: Mapping[str, Any]) -> SentMessage:
        """Send a Graph body rendered already (rows queued before migration 0009)."""
        return await self.client.send_message(phone_number_id, body)

    async def mark_read(self, phone_number_id: str, wamid: str, typing: bool = False) -> None:
        """Mark an inbound message read, optionally showing a typing indicator."""
        await self.client.mark_read(phone_number_id, wamid, typing)

    async def upload_media(
        self, phone_number_id: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a file; returns its media id."""
        return await self.client.upload_media(phone_number_id, data, mime_type, filename)

    async def get_media(self, media_id: str) -> MediaInfo:
        """Download URL and metadata of a media object."""
        return await self.client.get_media(media_id)

    async def download_media(self, url: str) -> bytes:
        """The bytes behind a media URL from :meth:`get_media`."""
        return await self.client.download_media(url)

    async def delete_media(self, media_id: str) -> None:
        """Delete an uploaded media object."""
        await self.client.delete_media(media_id)

    async def list_templates(
        self, waba_id: str, *, name: str | None = None, status: str | None = None
    ) -> list[TemplateListing]:
        """All message templates of a WhatsApp Business Account (unreadable entries left out)."""
        items = await self.client.list_templates(waba_id, name=name, status=status)
        return [t for t in (listing_of(item) for item in items) if t is not None]

    async def create_template(self, waba_id: str, template: Mapping[str, Any]) -> TemplateListing:
        """Submit a template for review; what Meta accepted (its id and first status)."""
        answer = await self.client.create_template(waba_id, template)
        return submitted_listing(template, answer)

    async def submit_template(
        self, waba_id: str, definition: TemplateDefinition, sample: MediaSample | None = None
    ) -> TemplateListing:
        """Submit a template written in Niaga's terms (rendered as Meta's creation request);
        a media header's example file is uploaded first (Resumable Upload API)."""
        handle = await self._handle_of(sample)
        request = creation_request(definition, handle)
        listing = await self.create_template(waba_id, request)
        return msgspec.structs.replace(listing, components=listed_components(definition, request))

    async def edit_template(
        self, template_id: str, definition: TemplateDefinition, sample: MediaSample | None = None
    ) -> None:
        """Change a template Meta holds to ``definition`` (its name and language stay): the
        components and the category go to review again."""
        handle = await self._handle_of(sample)
        request = creation_request(definition, handle)
        await self.client.edit_template(
            template_id, {"category": request["category"], "components": request["components"]}
        )

    async def _handle_of(self, sample: MediaSample | None) -> str | None:
        if sample is None:
            return None
        return await self.client.upload_file(
            self.app_id, sample.data, sample.mime_type, sample.file_name
        )

    async def delete_template(self, waba_id: str, name: str, hsm_id: str | None = None) -> None:
        """Delete a template by name (optionally one language by ``hsm_id``)."""
        await self.client.delete_template(waba_id, name, hsm_id)

    async def get_phone_number(
        self, phone_number_id: str, fields: Sequence[str] = DEFAULT_PHONE_FIELDS
    ) -> dict[str, Any]:
        """Details of a business phone number."""
        return await self.client.get_phone_number(phone_number_id, fields)

    async def messaging_limit(self, phone_number_id: str) -> tuple[str, int | None]:
        """Meta's messaging limit tier of the number and the unique customers it allows to be
        contacted first in a moving 24 h (None: unlimited)."""
        found = await self.client.get_phone_number(phone_number_id, ("messaging_limit_tier",))
        tier = str(found.get("messaging_limit_tier") or "")
        return tier, tier_limit(tier)

    async def get_business_profile(self, phone_number_id: str) -> dict[str, Any]:
        """The business profile customers see."""
        return await self.client.get_business_profile(phone_number_id)

    async def update_business_profile(
        self, phone_number_id: str, profile: Mapping[str, Any]
    ) -> None:
        """Change business profile fields."""
        await self.client.update_business_profile(phone_number_id, profile)

    async def catalog_items_batch(
        self, catalog_id: str, requests: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """Send product changes to the commerce catalog; the batch handles."""
        return await self.client.catalog_items_batch(catalog_id, requests)

    async def catalog_batch_status(self, catalog_id: str, handle: str) -> dict[str, Any]:
        """A batch's outcome, with the items Meta refused."""
        return await self.client.catalog_batch_status(catalog_id, handle)

    async def create_group(
        self, phone_number_id: str, subject: str, description: str | None = None
    ) -> str:
        """Ask Meta for a WhatsApp group (Groups API); the request id its webhook will name."""
        return await self.client.create_group(phone_number_id, subject, description)

    async def group_invite_link(self, group_id: str) -> str:
        """The group's invite link (made anew)."""
        return await self.client.group_invite_link(group_id)

    async def remove_group_participants(self, group_id: str, wa_ids: Sequence[str]) -> None:
        """Take people out of a group."""
        await self.client.remove_group_participants(group_id, wa_ids)

    async def check_token(self) -> dict[str, Any]:
        """Meta's view of the access token (valid?, scopes, expiry)."""
        return await self.client.debug_token()

    async def subscribed_apps(self, waba_id: str) -> list[dict[str, Any]]:
        """Apps the account's webhooks go to."""
        return await self.client.subscribed_apps(waba_id)

    async def subscribe_app(self, waba_id: str) -> None:
        """Subscribe this app to the account's webhooks."""
        await self.client.subscribe_app(waba_id)

    async def server_clock(self, phone_number_id: str) -> datetime | None:
        """Meta's clock, from an answer's ``Date`` header."""
        return await self.client.server_clock(phone_number_id)

    async def upload_file(self, data: bytes, mime_type: str, file_name: str) -> str:
        """Upload a file with the Resumable Upload API; its handle (a profile photo, a sample)."""
        return await self.client.upload_file(self.app_id, data, mime_type, file_name)

    async def close(self) -> None:
        """Close the underlying HTTP session."""
        await self.client.close()

    async def __aenter__(self) -> WhatsAppChannel:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def make_channel(settings: Settings) -> WhatsAppChannel:
    """The WhatsApp channel for the configured Graph API (Meta or the sandbox)."""
    client = GraphClient(
        base_url=settings.wa_graph_url,
        api_version=settings.wa_api_version,
        access_token=settings.wa_access_token,
        timeout=settings.wa_request_timeout,
    )
    return WhatsAppChannel(client, app_id=settings.wa_app_id)
