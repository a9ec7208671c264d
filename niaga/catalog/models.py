"""Catalog: products, collections, images, the search index and catalog settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from niaga.core import clock
from niaga.core.db import Base, Timestamps

# Meta's feed values (FACTS.md §6).
AVAILABILITIES = ("in stock", "out of stock", "preorder", "available for order", "discontinued")
CONDITIONS = ("new", "refurbished", "used")


class Product(Timestamps, Base):
    """A product or service; ``sku`` is Meta's ``retailer_id`` (the feed ``id``)."""

    __tablename__ = "catalog_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(default=0)  # rupiah
    sale_price: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3), default="IDR")
    # None: stock is not tracked (services, made to order).
    stock: Mapped[int | None]
    availability: Mapped[str] = mapped_column(String(32), default="in stock")
    condition: Mapped[str] = mapped_column(String(16), default="new")
    brand: Mapped[str | None] = mapped_column(String(100))
    link: Mapped[str | None] = mapped_column(String(2000))
    visible: Mapped[bool] = mapped_column(default=True, index=True)

    images: Mapped[list[ProductImage]] = relationship(
        order_by="ProductImage.position, ProductImage.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary="catalog_product_collections",
        lazy="selectin",
        order_by="Collection.position, Collection.id",
        back_populates="products",
    )

    @property
    def effective_price(self) -> int:
        """What the customer pays: the sale price when there is one."""
        return self.sale_price if self.sale_price is not None else self.price

    @property
    def effective_availability(self) -> str:
        """``out of stock`` when tracked stock ran out, else the stated availability."""
        if self.stock is not None and self.stock <= 0 and self.availability == "in stock":
            return "out of stock"
        return self.availability

    @property
    def main_image(self) -> ProductImage | None:
        return self.images[0] if self.images else None


class Collection(Timestamps, Base):
    """A named group of products, e.g. "Baju Muslim" or "Promo Lebaran"."""

    __tablename__ = "catalog_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    visible: Mapped[bool] = mapped_column(default=True)

    products: Mapped[list[Product]] = relationship(
        secondary="catalog_product_collections", back_populates="collections", viewonly=True
    )


class ProductCollection(Base):
    """A product's membership in a collection."""

    __tablename__ = "catalog_product_collections"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), primary_key=True
    )
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_collections.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProductImage(Base):
    """An uploaded picture, stored under ``data_dir/catalog/`` with a thumbnail."""

    __tablename__ = "catalog_product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True
    )
    # Paths relative to data_dir.
    path: Mapped[str] = mapped_column(String(500))
    thumb_path: Mapped[str] = mapped_column(String(500))
    mime_type: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SearchToken(Base):
    """One posting of the search index: ``token`` occurs in ``product_id`` with ``weight``.

    Our own inverted index (works the same on SQLite and PostgreSQL): tokens are the lower-case
    words of name, SKU, collections and description, plus their Indonesian (Sastrawi) and
    English stems. See :mod:`niaga.catalog.search`.
    """

    __tablename__ = "catalog_search_tokens"
    # Clustered on (token, product_id) in SQLite: membership checks are one seek each;
    # (token, weight, product_id) gives a token's strongest postings first from the index
    # alone (an index-only scan on PostgreSQL); product_id serves deletes.
    __table_args__ = (
        Index("ix_catalog_search_tokens_weight", "token", "weight", "product_id"),
        Index("ix_catalog_search_tokens_product", "product_id"),
        {"sqlite_with_rowid": False},
    )

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[int] = mapped_column(default=1)


class SearchTerm(Base):
    """Every token ever indexed (never deleted): the vocabulary for typo correction."""

    __tablename__ = "catalog_search_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(64), unique=True)


class CatalogSettings(Timestamps, Base):
    """One row: the Meta catalog connected to the WABA and how the public page looks."""

    __tablename__ = "catalog_settings"
    __table_args__ = (UniqueConstraint("singleton"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    singleton: Mapped[int] = mapped_column(default=1)
    meta_catalog_id: Mapped[str | None] = mapped_column(String(64))
    shop_name: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(100))
    tagline: Mapped[str | None] = mapped_column(String(300))
    public: Mapped[bool] = mapped_column(default=True)


class MetaCatalogItem(Base):
    """A product's copy in Meta's commerce catalog, by SKU (Meta's retailer id).

    ``synced_hash`` is the hash of what Meta holds (None: nothing); ``tried_hash`` of what was
    last sent; ``state`` is synced, error (Meta refused it: ``error`` says why) or deleted.
    """

    __tablename__ = "meta_catalog_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    synced_hash: Mapped[str | None] = mapped_column(String(64))
    tried_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None]
    tried_at: Mapped[datetime | None]
