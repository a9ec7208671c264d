"""Sharing the catalog: wa.me order links, and product / product list / catalog messages.

The ``build_*`` functions make validated outgoing messages within Meta's limits (product list:
1-10 sections, at most 30 products in total, a header; section titles ≤ 24 characters). The
``do_share_*`` functions queue them in a conversation through
:func:`niaga.inbox.service.do_send_message` (outbox, idempotency key, sent after commit); they
raise :class:`~niaga.inbox.service.WindowClosedError` outside the 24-hour window, since these
are free-form interactive messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.catalog.models import Product
from niaga.catalog.service import SANDBOX_CATALOG_ID, get_settings
from niaga.channels.whatsapp.outgoing import (
    HEADER_TEXT_MAX,
    PRODUCTS_MAX,
    SECTION_TITLE_MAX,
    SECTIONS_MAX,
    CatalogMessage,
    ProductItem,
    ProductListMessage,
    ProductMessage,
    ProductSection,
)
from niaga.core.errors import DomainError
from niaga.core.i18n import gettext
from niaga.inbox.models import Conversation, Message
from niaga.inbox.service import do_send_message

# The prefilled text of a wa.me order link ends with "(SKU: <sku>)": orders can be traced back.
SKU_MARK = re.compile(r"\(SKU:\s*([A-Za-z0-9][A-Za-z0-9._\-/]{0,99})\)")


def order_text(product: Product, locale: str = "id") -> str:
    """The message a customer sends from the public page's "Pesan via WhatsApp" button."""
    return gettext(
        "Hello, I would like to order {name} (SKU: {sku})",
        locale,
        name=product.name,
        sku=product.sku,
    )


def wa_me_link(display_phone_number: str, text: str | None = None) -> str:
    """``https://wa.me/<digits>?text=<urlencoded>`` (FACTS.md §7: digits only, no +)."""
    digits = re.sub(r"\D", "", display_phone_number).lstrip("0")
    link = f"https://wa.me/{digits}"
    return f"{link}?text={quote(text, safe='')}" if text else link


def product_order_link(display_phone_number: str, product: Product, locale: str = "id") -> str:
    """The wa.me link that opens a chat with the product named in the message."""
    return wa_me_link(display_phone_number, order_text(product, locale))


def catalog_id(session: Session, sandbox: bool) -> str:
    """The Meta catalog connected to the WABA (the sandbox's when none is set locally)."""
    configured = get_settings(session).meta_catalog_id
    if configured:
        return configured
    if sandbox:
        return SANDBOX_CATALOG_ID
    raise DomainError(
        "catalog_not_connected",
        "No Meta catalog is connected: set the catalog id in the catalog settings first.",
    )


def _shareable(session: Session, ids: Sequence[int]) -> list[Product]:
    if not ids:
        raise DomainError("no_products", "Choose at least one product.")
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}
    missing = [i for i in ids if i not in products]
    if missing:
        raise DomainError(
            "product_not_found", "Product {id} does not exist.", id=", ".join(map(str, missing))
        )
    hidden = [products[i].sku for i in ids if not products[i].visible]
    if hidden:
        raise DomainError(
            "product_hidden",
            "Hidden products cannot be sent: {skus}",
            skus=", ".join(hidden),
        )
    return [products[i] for i in dict.fromkeys(ids)]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_product_message(
    session: Session, product_id: int, *, sandbox: bool, body: str | None = None
) -> ProductMessage:
    """One product (WhatsApp shows its picture, price and an "add to cart" button)."""
    (product,) = _shareable(session, [product_id])
    return ProductMessage(
        catalog_id=catalog_id(session, sandbox),
        product_retailer_id=product.sku,
        body=_clip(body, 1024) if body else None,
    )


def build_product_list_message(
    session: Session,
    product_ids: Sequence[int],
    *,
    sandbox: bool,
    header: str | None = None,
    body: str | None = None,
    sections: Sequence[tuple[str, Sequence[int]]] | None = None,
    locale: str = "id",
) -> ProductListMessage:
    """Several products, in sections: given ones, or grouped by each product's first collection.

    Refuses more than 30 products or 10 sections with a clear error (Meta's limits).
    """
    if sections is None:
        products = _shareable(session, product_ids)
        if len(products) > PRODUCTS_MAX:
            raise DomainError(
                "too_many_products",
                "A product list can hold at most {n} products.",
                n=PRODUCTS_MAX,
            )
        other = gettext("Other products", locale)
        grouped: dict[str, list[Product]] = {}
        for product in products:
            title = product.collections[0].name if product.collections else other
            grouped.setdefault(title, []).append(product)
        if len(grouped) > SECTIONS_MAX:  # too many collections: fold the rest together
            named = [t for t in grouped if t != other]
            folded = {t: grouped[t] for t in named[: SECTIONS_MAX - 1]}
            folded[other] = [p for t in grouped if t not in folded for p in grouped[t]]
            grouped = folded
        pairs = [(t, [p.sku for p in ps]) for t, ps in grouped.items() if ps]
    else:
        if len(sections) > SECTIONS_MAX:
            raise DomainError(
                "too_many_sections",
                "A product list can have at most {n} sections.",
                n=SECTIONS_MAX,
            )
        every = [pid for _title, ids in sections for pid in ids]
        if len(every) > PRODUCTS_MAX:
            raise DomainError(
                "too_many_products",
                "A product list can hold at most {n} products.",
                n=PRODUCTS_MAX,
            )
        by_id = {p.id: p for p in _shareable(session, every)}
        pairs = [(title, [by_id[i].sku for i in ids]) for title, ids in sections]
    shop = get_settings(session).shop_name
    return ProductListMessage(
        catalog_id=catalog_id(session, sandbox),
        header=_clip(header or shop or gettext("Our products", locale), HEADER_TEXT_MAX),
        body=_clip(body or gettext("Here are some products for you.", locale), 1024),
        sections=[
            ProductSection(
                title=_clip(title, SECTION_TITLE_MAX),
                product_items=[ProductItem(product_retailer_id=sku) for sku in skus],
            )
            for title, skus in pairs
        ],
    )


def build_catalog_message(
    session: Session,
    *,
    sandbox: bool,
    body: str | None = None,
    thumbnail_product_id: int | None = None,
    locale: str = "id",
) -> CatalogMessage:
    """An invitation to browse the whole catalog (WhatsApp's "View catalog" button)."""
    catalog_id(session, sandbox)  # a catalog must be connected
    thumb = None
    if thumbnail_product_id is not None:
        (product,) = _shareable(session, [thumbnail_product_id])
        thumb = product.sku
    return CatalogMessage(
        body=_clip(
            body or gettext("Browse our catalog and order right here in WhatsApp.", locale), 1024
        ),
        thumbnail_product_retailer_id=thumb,
    )


def do_share(
    session: Session,
    conversation: Conversation,
    message: ProductMessage | ProductListMessage | CatalogMessage,
    *,
    user_id: int | None = None,
    origin: str = "agent",
    idempotency_key: str | None = None,
) -> Message:
    """Queue a built product, product list or catalog message in ``conversation``."""
    return do_send_message(
        session,
        conversation,
        message,
        origin=origin,
        user_id=user_id,
        idempotency_key=idempotency_key,
    )


def do_share_product(
    session: Session,
    conversation: Conversation,
    product_id: int,
    *,
    sandbox: bool,
    user_id: int | None = None,
    body: str | None = None,
    idempotency_key: str | None = None,
) -> Message:
    """Send one product into ``conversation`` (one call for a composer button)."""
    message = build_product_message(session, product_id, sandbox=sandbox, body=body)
    return do_share(
        session, conversation, message, user_id=user_id, idempotency_key=idempotency_key
    )


def do_share_product_list(
    session: Session,
    conversation: Conversation,
    product_ids: Sequence[int],
    *,
    sandbox: bool,
    user_id: int | None = None,
    header: str | None = None,
    body: str | None = None,
    sections: Sequence[tuple[str, Sequence[int]]] | None = None,
    locale: str = "id",
    idempotency_key: str | None = None,
) -> Message:
    """Send up to 30 products in up to 10 sections into ``conversation``."""
    message = build_product_list_message(
        session,
        product_ids,
        sandbox=sandbox,
        header=header,
        body=body,
        sections=sections,
        locale=locale,
    )
    return do_share(
        session, conversation, message, user_id=user_id, idempotency_key=idempotency_key
    )


def do_share_catalog(
    session: Session,
    conversation: Conversation,
    *,
    sandbox: bool,
    user_id: int | None = None,
    body: str | None = None,
    thumbnail_product_id: int | None = None,
    locale: str = "id",
    idempotency_key: str | None = None,
) -> Message:
    """Invite the customer in ``conversation`` to browse the whole catalog."""
    message = build_catalog_message(
        session,
        sandbox=sandbox,
        body=body,
        thumbnail_product_id=thumbnail_product_id,
        locale=locale,
    )
    return do_share(
        session, conversation, message, user_id=user_id, idempotency_key=idempotency_key
    )
