"""Product images: checked with Pillow, stored under ``data_dir/catalog/``, with thumbnails.

Files are written before the row is flushed; if the transaction rolls back, the orphan files
are removed by an after-rollback hook, so a failed upload leaves nothing behind.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.catalog.models import Product, ProductImage
from niaga.core.errors import DomainError
from niaga.core.images import open_image, remove_on_rollback, save_jpeg

MAX_SIDE = 1600  # stored image, longest side
THUMB_SIDE = 400
MAX_IMAGES = 10


def do_add_image(session: Session, product: Product, data: bytes, data_dir: Path) -> ProductImage:
    """Store an uploaded image (re-encoded as JPEG, at most 1600 px) and a 400 px thumbnail."""
    count = session.scalar(
        select(func.count()).select_from(ProductImage).where(ProductImage.product_id == product.id)
    )
    if (count or 0) >= MAX_IMAGES:
        raise DomainError("too_many_images", "A product can have at most {n} images.", n=MAX_IMAGES)
    image = open_image(data)
    name = uuid.uuid4().hex
    rel = Path("catalog") / "images" / str(product.id)
    main, thumb = rel / f"{name}.jpg", rel / f"{name}-thumb.jpg"
    written = [data_dir / main, data_dir / thumb]
    remove_on_rollback(session, written)
    width, height = save_jpeg(image, MAX_SIDE, data_dir / main)
    save_jpeg(image, THUMB_SIDE, data_dir / thumb)
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
