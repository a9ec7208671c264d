"""Catalog commands: products, collections, stock, settings. Services flush, never commit."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.catalog import search
from niaga.catalog.models import CatalogSettings, Collection, Product
from niaga.catalog.schemas import CatalogSettingsIn, CollectionIn, ProductCreate, ProductUpdate
from niaga.catalog.text import fold
from niaga.core.errors import ConflictError, NotFoundError
from niaga.security import audit

# The catalog the sandbox's simulated customers use when none is configured.
SANDBOX_CATALOG_ID = "194836987003835"


def get_settings(session: Session) -> CatalogSettings:
    """The catalog settings (defaults, not saved, until someone changes them).

    Reading never writes, so public pages and GET requests stay read-only.
    """
    row = session.scalars(select(CatalogSettings).where(CatalogSettings.singleton == 1)).first()
    return row if row is not None else CatalogSettings(singleton=1, public=True)


def do_update_settings(session: Session, data: CatalogSettingsIn) -> CatalogSettings:
    """Change the Meta catalog id or the public page's texts."""
    row = get_settings(session)
    if row.id is None:
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # another request created it first
            row = session.scalars(select(CatalogSettings)).one()
    changed = []
    for key, value in data.model_dump(exclude_unset=True).items():
        if key == "public" and value is None:
            continue  # an explicit null leaves the switch as it is (the column is not nullable)
        if getattr(row, key) != value:
            changed.append(key)
        setattr(row, key, value)
    session.flush()
    if changed:
        audit.record(
            session, "settings.changed", target=("settings", "catalog"), details={"fields": changed}
        )
    return row


def slugify(name: str) -> str:
    """``Promo Lebaran`` → ``promo-lebaran``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "koleksi"


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFoundError("product_not_found", "Product {id} does not exist.", id=product_id)
    return product


def get_product_by_sku(session: Session, sku: str) -> Product | None:
    return session.scalars(select(Product).where(Product.sku == sku)).first()


def check_sku_free(session: Session, sku: str, product_id: int | None = None) -> None:
    """Refuse a SKU that another product already uses."""
    other = get_product_by_sku(session, sku)
    if other is not None and other.id != product_id:
        raise ConflictError("sku_taken", "A product with SKU {sku} already exists.", sku=sku)


def check_prices(price: int, sale_price: int | None) -> None:
    if sale_price is not None and sale_price >= price:
        raise ConflictError(
            "sale_price_not_lower", "The sale price must be lower than the normal price."
        )


def collections_by_name(session: Session, names: Iterable[str], create: bool) -> list[Collection]:
    """Collections named ``names`` (case-insensitive), created when ``create``."""
    out: list[Collection] = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        found = session.scalars(select(Collection).where(Collection.slug == slugify(name))).first()
        if found is None:
            if not create:
                raise NotFoundError(
                    "collection_not_found", "Collection {name} does not exist.", name=name
                )
            found = Collection(name=name[:100], slug=slugify(name))
            session.add(found)
            session.flush()
        out.append(found)
    return out


def do_create_product(session: Session, data: ProductCreate) -> Product:
    """A new product, indexed for search."""
    check_sku_free(session, data.sku)
    check_prices(data.price, data.sale_price)
    values = data.model_dump(exclude={"collections"})
    product = Product(**values)
    product.collections = collections_by_name(session, data.collections, create=True)
    session.add(product)
    session.flush()
    search.index_products(session, [product])
    return product


def do_update_product(session: Session, product: Product, data: ProductUpdate) -> Product:
    """Change the fields given in ``data``; reindexes the product."""
    changes = data.model_dump(exclude_unset=True)
    if "sku" in changes and changes["sku"] is None:
        changes.pop("sku")
    for required in ("name", "price"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    if "sku" in changes:
        check_sku_free(session, changes["sku"], product.id)
    check_prices(changes.get("price", product.price), changes.get("sale_price", product.sale_price))
    names = changes.pop("collections", None)
    for key, value in changes.items():
        setattr(product, key, value)
    if names is not None:
        product.collections = collections_by_name(session, names, create=True)
    session.flush()
    search.index_products(session, [product])
    return product


def do_delete_product(session: Session, product: Product) -> None:
    """Delete a product (past orders keep their copied name, SKU and price)."""
    search.unindex_product(session, product.id)
    session.delete(product)
    session.flush()


def do_adjust_stock(session: Session, product: Product, delta: int) -> int:
    """Add ``delta`` (negative: take) to a tracked stock atomically; returns the new level.

    Untracked stock (``None``) stays untracked. The level never goes below zero.
    """
    if product.stock is None:
        return 0
    session.flush()
    session.execute(
        update(Product)
        .where(Product.id == product.id)
        .values(stock=Product.stock + delta)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock < 0)
        .values(stock=0)
        .execution_options(synchronize_session=False)
    )
    session.refresh(product, ["stock"])
    return product.stock or 0


def do_create_collection(session: Session, data: CollectionIn) -> Collection:
    """A new collection (names are unique, case-insensitive)."""
    slug = slugify(data.name)
    if session.scalars(select(Collection.id).where(Collection.slug == slug)).first():
        raise ConflictError(
            "collection_taken", "A collection named {name} already exists.", name=data.name
        )
    collection = Collection(**data.model_dump(), slug=slug)
    session.add(collection)
    session.flush()
    return collection


def get_collection(session: Session, collection_id: int) -> Collection:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundError(
            "collection_not_found", "Collection {name} does not exist.", name=collection_id
        )
    return collection


def do_update_collection(
    session: Session, collection: Collection, data: CollectionIn
) -> Collection:
    """Rename or reorder a collection; its products are reindexed on a rename."""
    renamed = data.name != collection.name
    if renamed:
        slug = slugify(data.name)
        other = session.scalars(select(Collection).where(Collection.slug == slug)).first()
        if other is not None and other.id != collection.id:
            raise ConflictError(
                "collection_taken", "A collection named {name} already exists.", name=data.name
            )
        collection.slug = slug
    for key, value in data.model_dump().items():
        setattr(collection, key, value)
    session.flush()
    if renamed:
        session.expire_all()
        search.index_products(session, list(get_collection(session, collection.id).products))
    return collection


def do_delete_collection(session: Session, collection: Collection) -> None:
    """Delete a collection; its products stay (reindexed without it)."""
    products = list(collection.products)
    session.delete(collection)
    session.flush()
    session.expire_all()
    search.index_products(session, [session.get_one(Product, p.id) for p in products])
