"""Product images: checked with Pillow, stored under ``data_dir/catalog/``, with thumbnails.

Files are written before the row is flushed; if the transaction rolls back, the orphan files
are removed by an after-rollback hook, so a failed upload leaves nothing behind.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from niaga.catalog.models import Product, ProductImage
from niaga.core.errors import DomainError

MAX_BYTES = 10 * 2**20
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600  # stored image, longest side
THUMB_SIDE = 400
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_IMAGES = 10


def _open(data: bytes) -> Image.Image:
    if not data:
        raise DomainError("image_empty", "The image file is empty.")
    if len(data) > MAX_BYTES:
        raise DomainError("image_too_large", "The image is larger than {mb} MB.", mb=10)
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise DomainError("image_format", "Upload a JPEG, PNG or WebP image.")
        if image.width * image.height > MAX_PIXELS:
            raise DomainError("image_too_large", "The image is larger than {mb} MB.", mb=10)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise DomainError("image_unreadable", "This file is not a readable image.") from None
    return ImageOps.exif_transpose(image)


def _save_jpeg(image: Image.Image, side: int, path: Path) -> tuple[int, int]:
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


def do_add_image(session: Session, product: Product, data: bytes, data_dir: Path) -> ProductImage:
    """Store an uploaded image (re-encoded as JPEG, at most 1600 px) and a 400 px thumbnail."""
    count = session.scalar(
        select(func.count()).select_from(ProductImage).where(ProductImage.product_id == product.id)
    )
    if (count or 0) >= MAX_IMAGES:
        raise DomainError("too_many_images", "A product can have at most {n} images.", n=MAX_IMAGES)
    image = _open(data)
    name = uuid.uuid4().hex
    rel = Path("catalog") / "images" / str(product.id)
    main, thumb = rel / f"{name}.jpg", rel / f"{name}-thumb.jpg"
    written = [data_dir / main, data_dir / thumb]
    _remove_on_rollback(session, written)
    width, height = _save_jpeg(image, MAX_SIDE, data_dir / main)
    _save_jpeg(image, THUMB_SIDE, data_dir / thumb)
    row = ProductImage(
        product_id=product.id,
        path=main.as_posix(),
        thumb_path=thumb.as_posix(),
        mime_type="image/jpeg",
        width=width,
        height=height,
        position=count or 0,
    )
    session.add(row)
    session.flush()
    session.refresh(product, ["images"])
    return row


def do_delete_image(session: Session, image: ProductImage, data_dir: Path) -> None:
    """Delete an image row; its files go once the transaction commits."""
    paths = [data_dir / image.path, data_dir / image.thumb_path]
    session.delete(image)
    session.flush()
    from niaga.core.db import on_commit

    on_commit(session, lambda: [p.unlink(missing_ok=True) for p in paths])


def _remove_on_rollback(session: Session, paths: list[Path]) -> None:
    def remove(_session: Session) -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    event.listen(session, "after_rollback", remove, once=True)
    from niaga.core.db import on_commit

    on_commit(session, lambda: event.remove(session, "after_rollback", remove))
