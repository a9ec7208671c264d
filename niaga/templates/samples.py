"""Example files of media headers (an image, a video or a PDF).

Meta reviews a media header with an example file, uploaded through its Resumable Upload API
at submission; Niaga keeps the file under ``data_dir/templates/samples/`` and, once the template
is approved, sends it as the header of every message (by a link under ``/media/templates/``, a
name nobody can guess). The type is read from the file's first bytes, not from its name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from niaga.channels.template_definition import MediaSample
from niaga.core.errors import DomainError

# Meta's limits for header examples and for the media it sends (FACTS.md §2.3).
KINDS: dict[str, dict[str, str]] = {
    "image": {"image/jpeg": "jpg", "image/png": "png"},
    "video": {"video/mp4": "mp4"},
    "document": {"application/pdf": "pdf"},
}
MAX_MB = {"image": 5, "video": 16, "document": 100}
KEY = re.compile(r"^[0-9a-f]{32}\.(jpg|png|mp4|pdf)$")
MIME_OF_EXT = {ext: mime for types in KINDS.values() for mime, ext in types.items()}
FOLDER = Path("templates") / "samples"


@dataclass(frozen=True)
class StoredSample:
    """A stored example file: its key (the template definition's ``header_sample``)."""

    key: str
    kind: str
    mime_type: str
    size: int


def sniff(data: bytes) -> str | None:
    """The MIME type the first bytes say, for the kinds a header can show."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if len(data) > 12 and data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def do_store(data: bytes, kind: str, data_dir: Path) -> StoredSample:
    """Check and keep an example file for a ``kind`` header (image, video, document)."""
    if kind not in KINDS:
        raise DomainError(
            "sample_kind", "A header example is an image, a video or a document.", field="kind"
        )
    if not data:
        raise DomainError("sample_empty", "The file is empty.", field="file")
    mime = sniff(data)
    if mime not in KINDS[kind]:
        allowed = {"image": "JPEG or PNG", "video": "MP4", "document": "PDF"}[kind]
        raise DomainError(
            "sample_type", "This header takes a {allowed} file.", field="file", allowed=allowed
        )
    if len(data) > MAX_MB[kind] * 2**20:
        raise DomainError(
            "sample_too_large", "The file is larger than {mb} MB.", field="file", mb=MAX_MB[kind]
        )
    key = f"{uuid.uuid4().hex}.{KINDS[kind][mime]}"
    path = data_dir / FOLDER / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return StoredSample(key=key, kind=kind, mime_type=mime, size=len(data))


def path_of(key: str, data_dir: Path) -> Path | None:
    """Where a stored example is (None for a key that is not one, or a missing file)."""
    if not KEY.match(key):
        return None
    path = data_dir / FOLDER / key
    return path if path.is_file() else None


def load(key: str, data_dir: Path) -> MediaSample:
    """A stored example, ready for the channel's upload."""
    path = path_of(key, data_dir)
    if path is None:
        raise DomainError(
            "sample_missing",
            "The header's example file is gone; upload it again.",
            field="header_sample",
        )
    return MediaSample(path.read_bytes(), MIME_OF_EXT[key.rsplit(".", 1)[1]], f"contoh-{key}")


def url_of(key: str, public_url: str) -> str:
    """The link Meta fetches the header from when the template is sent."""
    return f"{public_url.rstrip('/')}/media/templates/{key}"
