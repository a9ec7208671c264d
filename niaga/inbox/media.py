"""Media in the inbox: inbound files fetched from the Graph API once and cached on disk,
and files agents upload, stored under an unguessable name that Meta downloads by link."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.responses import FileResponse

MB = 1024 * 1024
# Meta's limits per kind (FACTS.md §media).
KINDS: dict[str, tuple[tuple[str, ...], int]] = {
    "image": (("image/jpeg", "image/png"), 5 * MB),
    "video": (("video/mp4", "video/3gpp"), 16 * MB),
    "audio": (("audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"), 16 * MB),
    "document": ((), 100 * MB),
}
SAFE_NAME = re.compile(r"^[A-Za-z0-9_\-]{20,80}\.[a-z0-9]{1,8}$")
_locks: dict[str, asyncio.Lock] = {}


class MediaError(Exception):
    """A file that cannot be stored, sent or fetched (message is an English msgid)."""


@dataclass(frozen=True)
class StoredUpload:
    kind: str
    name: str
    filename: str

    def public_url(self, settings: Any) -> str:
        return f"{settings.public_url.rstrip('/')}/media/out/{self.name}"


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
    """Keep an agent's upload; refuse what WhatsApp would refuse."""
    if not data:
        raise MediaError("The file is empty.")
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    kind = kind_of(content_type)
    limit = KINDS[kind][1]
    if len(data) > limit:
        raise MediaError("The file is larger than WhatsApp allows for this kind of media.")
    ext = (mimetypes.guess_extension(content_type) or Path(filename).suffix or ".bin").lower()
    ext = re.sub(r"[^a-z0-9.]", "", ext)[:9] or ".bin"
    name = f"{secrets.token_urlsafe(24)}{ext}"
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
    if not re.fullmatch(r"[A-Za-z0-9_\-.]{1,128}", media_id):
        raise MediaError("Unknown media.")
    folder = _dir(settings, "in")
    path = folder / media_id
    if path.is_file():
        return path, mime
    lock = _locks.setdefault(media_id, asyncio.Lock())
    async with lock:
        if path.is_file():
            return path, mime
        from niaga.runtime import make_channel

        channel = make_channel(settings)
        try:
            info = await channel.get_media(media_id)
            data = await channel.download_media(info.url)
        except Exception as exc:
            raise MediaError(f"Could not fetch the media from WhatsApp: {exc}") from exc
        finally:
            await channel.close()
        tmp = folder / f".{media_id}.part"
        tmp.write_bytes(data)
        tmp.replace(path)
        _locks.pop(media_id, None)
        return path, mime or info.mime_type


def file_response(path: Path, mime: str | None) -> FileResponse:
    return FileResponse(
        path,
        media_type=mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
