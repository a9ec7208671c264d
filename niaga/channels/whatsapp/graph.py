"""Async client for the WhatsApp Cloud (Graph) API, or the sandbox that emulates it.

One shared :class:`aiohttp.ClientSession` serves every call (the dispatcher sends thousands of
messages a second over it). All calls go through :meth:`GraphClient._request`, which adds the
Bearer token, decodes JSON, turns Meta error bodies into :class:`GraphError` subclasses and
network failures into :class:`GraphTransportError` with an honest ``maybe_delivered``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace, TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import msgspec

from niaga.channels.whatsapp.errors import (
    NO_CODE,
    GraphError,
    GraphTransportError,
    error_from_response,
)
from niaga.channels.whatsapp.outgoing import mark_read_body

__all__ = [
    "DEFAULT_PHONE_FIELDS",
    "DEFAULT_PROFILE_FIELDS",
    "GraphClient",
    "MediaInfo",
    "SentMessage",
]

DEFAULT_PHONE_FIELDS: tuple[str, ...] = (
    "id",
    "display_phone_number",
    "verified_name",
    "quality_rating",
    "name_status",
    "code_verification_status",
)
DEFAULT_PROFILE_FIELDS: tuple[str, ...] = (
    "about",
    "address",
    "description",
    "email",
    "profile_picture_url",
    "websites",
    "vertical",
)
_MAX_PAGES = 1000

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class SentMessage:
    """Meta's answer to a send: the message id and how Meta normalised the recipient."""

    wamid: str
    wa_id: str | None = None
    input: str | None = None
    message_status: str | None = None  # accepted | held_for_quality_assessment | paused


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """Where to download an uploaded or received media object (URL valid ~5 minutes)."""

    id: str
    url: str
    mime_type: str | None = None
    sha256: str | None = None
    file_size: int | None = None


async def _on_headers_sent(
    session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    progress = ctx.trace_request_ctx
    if isinstance(progress, dict):
        progress["sent"] = True


def _trace_config() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(_on_headers_sent)
    return trace


# An idle connection is closed after this long, well before any server's own idle timeout
# (uvicorn's default is 5 s): one reused just as the server closes it fails after the request
# was written, and such a send is "in doubt" (it may or may not have reached Meta).
KEEPALIVE_SECONDS = 4.0


UPLOAD_ATTEMPTS = 3


class GraphClient:
    """The Graph API calls Niaga makes, over one lazily created aiohttp session.

    ``base_url`` is e.g. ``https://graph.facebook.com`` or ``http://127.0.0.1:8000/sandbox``.
    A ``session`` passed in is used as is and not closed by :meth:`close`; without Niaga's
    trace hook on it, every failure after connecting counts as ``maybe_delivered``.
    """

    def __init__(
        self,
        base_url: str,
        api_version: str,
        access_token: str,
        timeout: float = 20.0,
        session: aiohttp.ClientSession | None = None,
        *,
        max_connections: int = 100,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version.strip("/")
        self.timeout = timeout
        self._token = access_token
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._session = session
        self._owns_session = session is None
        self._traced = False
        self._max_connections = max_connections
        self._origin = urlsplit(self.base_url)[:2]
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    # ------------------------------------------------------------------ lifecycle

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use (inside the running event loop)."""
        if self._session is None or (self._session.closed and self._owns_session):
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                ttl_dns_cache=300,
                keepalive_timeout=KEEPALIVE_SECONDS,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                trace_configs=[_trace_config()],
                json_serialize=lambda obj: _encoder.encode(obj).decode(),
            )
            self._owns_session = True
            self._traced = True
        return self._session

    async def close(self) -> None:
        """Close the session if this client created it."""
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()
        self._session = None if self._owns_session else self._session

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ transport

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{self.api_version}/{path.lstrip('/')}"

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """One Graph API call; returns the decoded JSON object.

        Raises :class:`GraphError` for non-2xx answers and :class:`GraphTransportError` when
        no answer arrived.
        """
        status, body = await self._fetch(
            method, self._url(path), json=json, params=params, data=data, headers=headers
        )
        try:
            payload = _decoder.decode(body) if body else {}
        except msgspec.DecodeError:
            payload = None
        if status >= 300:
            raise error_from_response(status, payload if isinstance(payload, dict) else None)
        if not isinstance(payload, dict):
            raise GraphTransportError(
                f"{method} {path}: HTTP {status} with a body that is not a JSON object",
                maybe_delivered=True,
            )
        return payload

    async def _fetch(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send the request and read the whole response, mapping network failures."""
        session = self.session
        progress: dict[str, bool] = {"sent": False}
        try:
            async with session.request(
                method,
                url,
                json=json,
                params=_clean_params(params),
                data=data,
                headers={**self._headers, **headers} if headers else self._headers,
                timeout=self._timeout,
                trace_request_ctx=progress,  # type: ignore[arg-type]
            ) as resp:
                if max_bytes is not None and (resp.content_length or 0) > max_bytes:
                    raise GraphTransportError(
                        f"{method} {url}: response larger than {max_bytes} bytes",
                        maybe_delivered=True,
                    )
                body = await _read(resp, max_bytes)
                return resp.status, body
        except GraphTransportError:
            raise
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Connecting failed (refused, DNS, TLS, connect timeout): nothing was sent.
            raise GraphTransportError(
                f"{method} {url}: cannot connect: {exc}", maybe_delivered=False
            ) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # Timeouts (also asyncio.TimeoutError), dropped connections, payload errors.
            sent = progress["sent"] if self._traced else True
            what = "timed out" if isinstance(exc, TimeoutError) else "failed"
            raise GraphTransportError(
                f"{method} {url}: {what} {'after' if sent else 'before'} sending the request: "
                f"{type(exc).__name__}: {exc}",
                maybe_delivered=sent,
            ) from exc

    # ------------------------------------------------------------------ messages

    async def send_message(self, phone_number_id: str, body: Mapping[str, Any]) -> SentMessage:
        """Send a message body (see :mod:`niaga.channels.whatsapp.outgoing`)."""
        resp = await self._request("POST", f"{phone_number_id}/messages", json=body)
        messages = resp.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        if not isinstance(first, dict) or not first.get("id"):
            raise GraphTransportError(
                "send answered 2xx without a message id", maybe_delivered=True
            )
        contacts = resp.get("contacts")
        contact = contacts[0] if isinstance(contacts, list) and contacts else {}
        if not isinstance(contact, dict):
            contact = {}
        return SentMessage(
            wamid=str(first["id"]),
            wa_id=contact.get("wa_id"),
            input=contact.get("input"),
            message_status=first.get("message_status"),
        )

    async def mark_read(self, phone_number_id: str, wamid: str, typing: bool = False) -> None:
        """Mark an inbound message read (blue ticks), optionally with a typing indicator."""
        await self._request(
            "POST", f"{phone_number_id}/messages", json=mark_read_body(wamid, typing)
        )

    # ------------------------------------------------------------------ media

    async def upload_media(
        self, phone_number_id: str, data: bytes, mime_type: str, filename: str
    ) -> str:
        """Upload a file for sending by id; returns the media id."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        resp = await self._request("POST", f"{phone_number_id}/media", data=form)
        return _required_str(resp, "id", "media upload")

    async def get_media(self, media_id: str, *, phone_number_id: str | None = None) -> MediaInfo:
        """The download URL and metadata of a media object."""
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        resp = await self._request("GET", media_id, params=params)
        size = resp.get("file_size")
        return MediaInfo(
            id=str(resp.get("id") or media_id),
            url=_required_str(resp, "url", "media lookup"),
            mime_type=resp.get("mime_type"),
            sha256=resp.get("sha256"),
            file_size=int(size) if size is not None else None,
        )

    async def download_media(self, url: str, *, max_bytes: int | None = 100 * 2**20) -> bytes:
        """Download a media URL from :meth:`get_media` (with the Bearer token)."""
        status, body = await self._fetch("GET", url, max_bytes=max_bytes)
        if status >= 300:
            try:
                payload = _decoder.decode(body) if body else None
            except msgspec.DecodeError:
                payload = None
            raise error_from_response(status, payload if isinstance(payload, dict) else None)
        return body

    async def delete_media(self, media_id: str) -> None:
        """Delete an uploaded media object."""
        await self._request("DELETE", media_id)

    # ------------------------------------------------------------------ templates

    async def list_templates(
        self,
        waba_id: str,
        *,
        name: str | None = None,
        status: str | None = None,
        limit: int = 100,
        fields: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """All message templates of a WABA, following pagination; ``limit`` is the page size."""
        params: dict[str, Any] = {"limit": limit, "name": name, "status": status}
        if fields:
            params["fields"] = ",".join(fields)
        path = f"{waba_id}/message_templates"
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        next_url: str | None = None
        for _ in range(_MAX_PAGES):
            if next_url is not None:
                page = await self._request("GET", next_url)
            else:
                page = await self._request("GET", path, params=params)
            data = page.get("data") or []
            items.extend(d for d in data if isinstance(d, dict))
            paging = page.get("paging") or {}
            if not data or not isinstance(paging, dict) or not paging.get("next"):
                break
            after = (paging.get("cursors") or {}).get("after")
            if after:
                if after in seen:
                    break
                seen.add(after)
                params["after"] = after
                next_url = None
            elif self._same_origin(str(paging["next"])):
                if paging["next"] in seen:
                    break
                seen.add(str(paging["next"]))
                next_url = str(paging["next"])
            else:
                break  # never send the token to another host
        return items

    async def create_template(self, waba_id: str, template: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a template for review; returns ``{id, status, category}``."""
        return await self._request("POST", f"{waba_id}/message_templates", json=template)

    async def edit_template(self, template_id: str, changes: Mapping[str, Any]) -> None:
        """Change a template Meta holds (its components, or its category): it goes back to
        review. Meta allows one edit a day and ten in 30 days per approved template."""
        await self._request("POST", template_id, json=changes)

    async def upload_file(self, app_id: str, data: bytes, mime_type: str, file_name: str) -> str:
        """Meta's Resumable Upload API: open an upload session for the app, send the bytes
        (after a broken connection, from the offset Meta says it holds), and return the file
        handle (``h``) a template's media header sample is given as."""
        opened = await self._request(
            "POST",
            f"{app_id}/uploads",
            params={"file_name": file_name, "file_length": len(data), "file_type": mime_type},
        )
        upload_id = _required_str(opened, "id", "upload session")
        auth = {"Authorization": f"OAuth {self._token}"}
        offset = 0
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            try:
                done = await self._request(
                    "POST",
                    upload_id,
                    data=data[offset:],
                    headers={**auth, "file_offset": str(offset)},
                )
                return _required_str(done, "h", "file upload")
            except GraphTransportError:
                if attempt == UPLOAD_ATTEMPTS:
                    raise
                held = await self._request("GET", upload_id, headers=auth)
                offset = min(len(data), max(0, int(held.get("file_offset") or 0)))
        raise AssertionError("unreachable")

    async def delete_template(self, waba_id: str, name: str, hsm_id: str | None = None) -> None:
        """Delete a template by name (every language), or one language with ``hsm_id``."""
        await self._request(
            "DELETE", f"{waba_id}/message_templates", params={"name": name, "hsm_id": hsm_id}
        )

    # ------------------------------------------------------------------ phone number

    async def get_phone_number(
        self, phone_number_id: str, fields: Sequence[str] = DEFAULT_PHONE_FIELDS
    ) -> dict[str, Any]:
        """Phone number details (name, quality rating, verification, throughput...)."""
        params = {"fields": ",".join(fields)} if fields else None
        return await self._request("GET", phone_number_id, params=params)

    async def catalog_items_batch(
        self, catalog_id: str, requests: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """Meta's Catalog Batch API: create, update or delete product items; the handles to
        ask about (``check_batch_request_status``)."""
        found = await self._request(
            "POST",
            f"{catalog_id}/items_batch",
            json={"item_type": "PRODUCT_ITEM", "requests": list(requests)},
        )
        handles = found.get("handles")
        return [str(h) for h in handles] if isinstance(handles, list) else []

    async def catalog_batch_status(self, catalog_id: str, handle: str) -> dict[str, Any]:
        """How a batch went: ``status`` and the ``errors`` of items Meta refused."""
        found = await self._request(
            "GET", f"{catalog_id}/check_batch_request_status", params={"handle": handle}
        )
        data = found.get("data")
        first = data[0] if isinstance(data, list) and data else {}
        return dict(first) if isinstance(first, dict) else {}

    async def create_group(
        self,
        phone_number_id: str,
        subject: str,
        description: str | None = None,
        join_approval_mode: str = "auto_approve",
    ) -> str:
        """Meta's Groups API: ask for a new group; its ``request_id`` (the group's id comes by
        the ``group_lifecycle_update`` webhook)."""
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "subject": subject[:128],
            "join_approval_mode": join_approval_mode,
        }
        if description:
            body["description"] = description[:2048]
        found = await self._request("POST", f"{phone_number_id}/groups", json=body)
        return str(found.get("request_id") or "")

    async def group_invite_link(self, group_id: str) -> str:
        """A (new) invite link of the group: ``https://chat.whatsapp.com/…``."""
        found = await self._request(
            "POST", f"{group_id}/invite_link", json={"messaging_product": "whatsapp"}
        )
        return str(found.get("invite_link") or "")

    async def remove_group_participants(self, group_id: str, wa_ids: Sequence[str]) -> None:
        """Take people out of the group (at most 8 per call)."""
        for start in range(0, len(wa_ids), 8):
            await self._request(
                "DELETE",
                f"{group_id}/participants",
                json={
                    "messaging_product": "whatsapp",
                    "participants": [{"user": w} for w in wa_ids[start : start + 8]],
                },
            )

    async def debug_token(self) -> dict[str, Any]:
        """Meta's view of this client's own token: ``is_valid``, ``scopes``, ``expires_at``."""
        found = await self._request("GET", "debug_token", params={"input_token": self._token})
        data = found.get("data")
        return dict(data) if isinstance(data, dict) else {}

    async def subscribed_apps(self, waba_id: str) -> list[dict[str, Any]]:
        """The apps whose webhooks the WhatsApp Business Account feeds."""
        found = await self._request("GET", f"{waba_id}/subscribed_apps")
        data = found.get("data")
        return [dict(d) for d in data if isinstance(d, dict)] if isinstance(data, list) else []

    async def subscribe_app(self, waba_id: str) -> None:
        """Subscribe this token's app to the account's webhooks."""
        await self._request("POST", f"{waba_id}/subscribed_apps")

    async def server_clock(self, phone_number_id: str) -> datetime | None:
        """The time in the ``Date`` header of a small Graph answer (for clock skew)."""
        from email.utils import parsedate_to_datetime

        try:
            async with self.session.get(
                self._url(phone_number_id),
                params={"fields": "id"},
                headers=self._headers,
                timeout=self._timeout,
            ) as resp:
                await resp.read()
                date = resp.headers.get("Date")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise GraphTransportError(
                f"GET {phone_number_id}: {exc}", maybe_delivered=False
            ) from exc
        try:
            return parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            return None

    async def get_business_profile(
        self, phone_number_id: str, fields: Sequence[str] = DEFAULT_PROFILE_FIELDS
    ) -> dict[str, Any]:
        """The business profile shown to customers (about, address, websites...)."""
        resp = await self._request(
            "GET",
            f"{phone_number_id}/whatsapp_business_profile",
            params={"fields": ",".join(fields)} if fields else None,
        )
        data = resp.get("data")
        first = data[0] if isinstance(data, list) and data else {}
        if not isinstance(first, dict):
            return {}
        inner = first.get("business_profile")  # the spec's example nests it
        return dict(inner) if isinstance(inner, dict) else dict(first)

    async def update_business_profile(
        self, phone_number_id: str, profile: Mapping[str, Any]
    ) -> None:
        """Change business profile fields (about ≤ 139, description ≤ 512, websites ≤ 2...)."""
        await self._request(
            "POST",
            f"{phone_number_id}/whatsapp_business_profile",
            json={"messaging_product": "whatsapp", **profile},
        )

    def _same_origin(self, url: str) -> bool:
        return urlsplit(url)[:2] == self._origin


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not params:
        return None
    return {k: str(v) for k, v in params.items() if v is not None}


async def _read(resp: aiohttp.ClientResponse, max_bytes: int | None) -> bytes:
    if max_bytes is None:
        return await resp.read()
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > max_bytes:
            raise GraphTransportError(
                f"response larger than {max_bytes} bytes", maybe_delivered=True
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _required_str(resp: Mapping[str, Any], key: str, what: str) -> str:
    value = resp.get(key)
    if not value:
        raise GraphError(NO_CODE, f"{what} answered without {key!r}")
    return str(value)
