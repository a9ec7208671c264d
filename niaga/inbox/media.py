"""Media in the inbox: inbound files fetched from the Graph API once and cached on disk,
and files agents upload, stored under an unguessable name that Meta downloads by a signed,
expiring link.

What a customer sends is untrusted: images are shown only as Niaga's own re-encoding (JPEG or
PNG, metadata dropped); everything else is served by :mod:`niaga.web.safe_files` as a download.
Agents' uploads are checked against the types WhatsApp accepts, images re-encoded, and stored
with an extension from Niaga's own table, never one taken from what the browser claimed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import mimetypes
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, ImageOps, UnidentifiedImageError

from niaga.channels.content import Media
from niaga.core.errors import DomainError, UpstreamError
from niaga.core.tokens import tokens_equal
from niaga.inbox.models import Message

MB = 1024 * 1024
# Meta's limits per kind (FACTS.md §media).
KINDS: dict[str, tuple[tuple[str, ...], int]] = {
    "image": (("image/jpeg", "image/png"), 5 * MB),
    "video": (("video/mp4", "video/3gpp"), 16 * MB),
    "audio": (("audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"), 16 * MB),
    "document": (
        (
            "application/pdf",
            "text/plain",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        100 * MB,
    ),
}
# The extension an upload is stored under, by its (checked) type: never from the client.
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "audio/aac": ".aac",
    "audio/mp4": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/amr": ".amr",
    "audio/ogg": ".ogg",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}
TYPE_OF_EXTENSION = {ext: mime for mime, ext in EXTENSIONS.items()}
SAFE_NAME = re.compile(r"^[A-Za-z0-9_\-]{20,80}\.[a-z0-9]{1,8}$")
LINK_TTL_SECONDS = 7 * 24 * 3600  # Meta fetches at send time; the outbox retries for hours
MAX_PIXELS = 40_000_000
_locks: dict[str, asyncio.Lock] = {}


class MediaError(DomainError):
    """A file that cannot be stored, sent or fetched."""

    def __init__(self, msgid: str, code: str = "media_invalid", **params: object) -> None:
        super().__init__(code, msgid, field="file", **params)


class MediaFetchError(UpstreamError):
    """The Graph API did not give us the customer's file."""


@dataclass(frozen=True)
class StoredUpload:
    kind: str
    name: str
    filename: str

    def public_url(self, settings: Any, now: float | None = None) -> str:
        """A link Meta can download for :data:`LINK_TTL_SECONDS` (nobody can guess or widen it)."""
        expires = int((now if now is not None else time.time()) + LINK_TTL_SECONDS)
        sig = link_signature(settings, self.name, expires)
        return f"{settings.public_url.rstrip('/')}/media/out/{self.name}?exp={expires}&sig={sig}"


@dataclass(frozen=True)
class MessageMedia:
    """Where a message's file is: the channel's media id (fetched once and cached) or a link
    (an agent's upload or an outside address)."""

    media_id: str | None
    link: str | None
    mime: str | None
    filename: str | None


def media_of(message: Message) -> MessageMedia:
    """The file of an inbound media message (typed content) or of an outbound one (the media
    part of the message as it was queued)."""
    received = message.inbound
    if isinstance(received, Media):
        return MessageMedia(received.media_id, received.url, received.mime, received.filename)
    if message.direction == "in":
        return MessageMedia(None, None, None, None)
    sent = message.content if isinstance(message.content, dict) else {}  # an OutgoingMessage
    filename = sent.get("filename")
    return MessageMedia(
        _text_or_none(sent.get("media_id")),
        _text_or_none(sent.get("link")),
        None,
        filename if isinstance(filename, str) else None,
    )


def _text_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and value != "" else None


def link_signature(settings: Any, name: str, expires: int) -> str:
    """HMAC-SHA256 of the upload's name and expiry under NIAGA_SECRET_KEY."""
    key = hashlib.sha256(b"niaga-media-link:" + settings.secret_key.encode()).digest()
    return hmac.new(key, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def link_valid(settings: Any, name: str, exp: str | None, sig: str | None) -> bool:
    """True when ``exp``/``sig`` are a current signature for ``name``."""
    if not exp or not sig or not exp.isdigit() or len(exp) > 12:
        return False
    if int(exp) < time.time():
        return False
    return tokens_equal(sig, link_signature(settings, name, int(exp)))


def upload_name_of(settings: Any, link: str | None) -> str | None:
    """The stored upload a link of ours points at (None for a foreign or odd link)."""
    if not link:
        return None
    parts = urlsplit(link)
    ours = urlsplit(settings.public_url)
    if parts.netloc and parts.netloc != ours.netloc:
        return None
    name = parts.path.rsplit("/", 1)[-1]
    return name if parts.path.endswith(f"/media/out/{name}") and SAFE_NAME.match(name) else None


def reencode_image(data: bytes) -> tuple[bytes, str]:
    """Decode an image and write it again as PNG (with transparency) or JPEG.

    Whatever else the file held (script, a second format, metadata) is gone afterwards.
    Raises :class:`MediaError` for anything that is not a readable raster image.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise MediaError("This file is not a readable image.")
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise MediaError("This file is not a readable image.") from None
    out = io.BytesIO()
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    clean = image.convert("RGBA" if alpha else "RGB")
    clean.info.clear()  # no comment, EXIF, ICC or text chunk is carried over
    if alpha:
        clean.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    clean.save(out, "JPEG", quality=88)
    return out.getvalue(), "image/jpeg"


def _dir(settings: Any, sub: str) -> Path:
    path = Path(settings.data_dir) / "media" / sub
    path.mkdir(parents=True, exist_ok=True)
    return path


def kind_of(content_type: str) -> str:
    """image, video, audio or document for a MIME type."""
    for kind, (types, _) in KINDS.items():
        if content_type in types:
            return kind
    return "document"


def store_upload(settings: Any, data: bytes, filename: str, content_type: str) -> StoredUpload:
    """Keep an agent's upload; refuse what WhatsApp would refuse; re-encode images."""
    if not data:
        raise MediaError("The file is empty.")
    claimed = (content_type or "").split(";", 1)[0].strip().lower()
    if claimed not in EXTENSIONS:
        claimed = (mimetypes.guess_type(filename)[0] or "").lower()
    if claimed not in EXTENSIONS:
        raise MediaError("WhatsApp does not accept this type of file.")
    kind = kind_of(claimed)
    if len(data) > KINDS[kind][1]:
        raise MediaError("The file is larger than WhatsApp allows for this kind of media.")
    if kind == "image":
        data, claimed = reencode_image(data)
        if len(data) > KINDS[kind][1]:
            raise MediaError("The file is larger than WhatsApp allows for this kind of media.")
    name = f"{secrets.token_urlsafe(24)}{EXTENSIONS[claimed]}"
    (_dir(settings, "out") / name).write_bytes(data)
    safe_filename = re.sub(r"[\\/\x00-\x1f]", "_", filename)[:200] or "file"
    return StoredUpload(kind=kind, name=name, filename=safe_filename)


def uploaded_path(settings: Any, name: str) -> Path | None:
    """The stored upload called ``name`` (None for anything else)."""
    if not SAFE_NAME.match(name):
        return None
    path = _dir(settings, "out") / name
    return path if path.is_file() else None


async def cached_inbound(settings: Any, media_id: str, mime: str | None) -> tuple[Path, str | None]:
    """The file of an inbound media id, downloaded through the Graph API on first use."""
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,128}", media_id):
        raise MediaError("Unknown media.", code="media_unknown")
    folder = _dir(settings, "in")
    path = folder / media_id
    if path.is_file():
        return path, mime
    lock = _locks.setdefault(media_id, asyncio.Lock())
    async with lock:
        if path.is_file():
            return path, mime
        from niaga.channels.whatsapp.channel import make_channel

        channel = make_channel(settings)
        try:
            info = await channel.get_media(media_id)
            data = await channel.download_media(info.url)
        except Exception as exc:
            raise MediaFetchError(
                "media_fetch_failed",
                "Could not fetch the media from WhatsApp: {reason}",
                reason=str(exc)[:200],
            ) from exc
        finally:
            await channel.close()
        tmp = folder / f".{media_id}.part"
        tmp.write_bytes(data)
        tmp.replace(path)
        _locks.pop(media_id, None)
        return path, mime or info.mime_type


def uploaded_type(path: Path) -> str:
    """The checked type of a stored upload, from the extension Niaga gave it."""
    return TYPE_OF_EXTENSION.get(path.suffix.lower(), "application/octet-stream")


def safe_inbound_image(path: Path) -> Path | None:
    """Niaga's re-encoding of a cached inbound image (made once), or None if unreadable."""
    for suffix in (".safe.jpg", ".safe.png"):
        done = path.with_name(path.name + suffix)
        if done.is_file():
            return done
    if path.with_name(path.name + ".unsafe").is_file():
        return None
    try:
        data, mime = reencode_image(path.read_bytes())
    except MediaError:
        path.with_name(path.name + ".unsafe").touch()
        return None
    done = path.with_name(path.name + (".safe.png" if mime == "image/png" else ".safe.jpg"))
    tmp = done.with_name(f".{done.name}.part")
    tmp.write_bytes(data)
    tmp.replace(done)
    return done
