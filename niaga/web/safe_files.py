"""Serving files that came from outside (customers, uploads) so they can never run as our page.

Only raster images Niaga re-encoded itself and audio/video of a known type are shown inline;
everything else is a download (``application/octet-stream``, ``Content-Disposition:
attachment``). Every such response carries ``nosniff`` and a sandboxing CSP, so even a file
opened directly in a tab has no script, no origin and no forms.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse

# Shown inline: the browser plays them, it never parses them as a document.
INLINE_MEDIA = frozenset(
    {
        "video/mp4",
        "video/3gpp",
        "audio/aac",
        "audio/mp4",
        "audio/mpeg",
        "audio/amr",
        "audio/ogg",
        "audio/opus",
    }
)
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
)
_BARE_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def bare_type(mime: str | None) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``; anything malformed → ``""``."""
    value = (mime or "").split(";", 1)[0].strip().lower()
    return value if _BARE_TYPE.match(value) else ""


def disposition(kind: str, filename: str) -> str:
    """A Content-Disposition header with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", filename)[:150] or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename[:150], safe='')}"


def untrusted_file(
    path: Path,
    mime: str | None,
    *,
    filename: str | None = None,
    inline_image: bool = False,
    keep_download_type: bool = False,
    cache: str = "private, max-age=86400",
) -> FileResponse:
    """Serve ``path`` safely.

    ``inline_image``: the caller re-encoded it (JPEG/PNG only). ``keep_download_type``: a
    download keeps its checked type (Meta compares it with the kind it was sent as) instead of
    ``application/octet-stream``; it is still an attachment under the sandboxing CSP.
    """
    declared = bare_type(mime) or bare_type(mimetypes.guess_type(path.name)[0])
    headers = {
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if (inline_image and declared in ("image/jpeg", "image/png")) or declared in INLINE_MEDIA:
        media_type = declared
        headers["Content-Disposition"] = disposition("inline", filename or path.name)
    else:
        media_type = declared if keep_download_type and declared else "application/octet-stream"
        headers["Content-Disposition"] = disposition("attachment", filename or path.name)
    return FileResponse(path, media_type=media_type, headers=headers)


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else None (never ``javascript:`` & co)."""
    if not url:
        return None
    value = url.strip()
    if re.match(r"^https?://[^\s/\\]", value, re.IGNORECASE) and not re.search(
        r"[\x00-\x20]", value
    ):
        return value
    return None
