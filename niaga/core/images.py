"""Uploaded images: opened and checked with Pillow (format, size, decompression bombs), saved
as JPEG; files written inside a transaction are removed again if it rolls back."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session

from niaga.core.errors import DomainError

MAX_BYTES = 10 * 2**20
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def open_image(data: bytes, max_bytes: int = MAX_BYTES) -> Image.Image:
    """The decoded, upright image, or a :class:`DomainError` saying what is wrong."""
    mb = max_bytes // 2**20
    if not data:
        raise DomainError("image_empty", "The image file is empty.")
    if len(data) > max_bytes:
        raise DomainError("image_too_large", "The image is larger than {mb} MB.", mb=mb)
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise DomainError("image_format", "Upload a JPEG, PNG or WebP image.")
        if image.width * image.height > MAX_PIXELS:
            raise DomainError("image_too_large", "The image is larger than {mb} MB.", mb=mb)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise DomainError("image_unreadable", "This file is not a readable image.") from None
    return ImageOps.exif_transpose(image)


def square(image: Image.Image) -> Image.Image:
    """The largest centred square of ``image`` (profile photos are shown round)."""
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def save_jpeg(image: Image.Image, side: int, path: Path) -> tuple[int, int]:
    """Write ``image`` as a JPEG at most ``side`` pixels long (transparency on white)."""
    copy = image.copy()
    copy.thumbnail((side, side))
    if copy.mode not in ("RGB", "L"):
        background = Image.new("RGB", copy.size, "white")
        rgba = copy.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        copy = background
    path.parent.mkdir(parents=True, exist_ok=True)
    copy.save(path, "JPEG", quality=85, optimize=True, progressive=True)
    return copy.size


def remove_on_rollback(session: Session, paths: list[Path]) -> None:
    """Delete ``paths`` if ``session``'s transaction rolls back (kept once it commits)."""

    def remove(_session: Session) -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    event.listen(session, "after_rollback", remove, once=True)
    from niaga.core.db import on_commit

    on_commit(session, lambda: event.remove(session, "after_rollback", remove))
