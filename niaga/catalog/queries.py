"""Catalog reads: lists, searches, the public page's data."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.catalog import search
from niaga.catalog.models import Collection, Product, ProductCollection


def list_collections(session: Session, *, visible_only: bool = False) -> list[Collection]:
    stmt = select(Collection).order_by(Collection.position, Collection.name)
    if visible_only:
        stmt = stmt.where(Collection.visible.is_(True))
    return list(session.scalars(stmt))


def collection_by_slug(session: Session, slug: str) -> Collection | None:
    return session.scalars(select(Collection).where(Collection.slug == slug)).first()


def list_products(
    session: Session,
    *,
    collection_id: int | None = None,
    visible: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Product], int]:
    """Products newest first, with the total count for paging."""
    stmt = select(Product)
    if collection_id is not None:
        stmt = stmt.join(ProductCollection, ProductCollection.product_id == Product.id).where(
            ProductCollection.collection_id == collection_id
        )
    if visible is not None:
        stmt = stmt.where(Product.visible.is_(visible))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Product.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def search_products(
    session: Session, query: str, *, limit: int = 20, offset: int = 0, visible_only: bool = False
) -> list[Product]:
    """The best products for ``query`` (see :mod:`niaga.catalog.search`)."""
    return search.search(session, query, limit=limit, offset=offset, visible_only=visible_only)
