"""``/api/v1`` for the catalog, sharing it into chats, and orders (token auth).

Owners and admins manage the catalog; owners, admins and agents share products, create
orders and move their status; analysts read. Each route is one service call.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Header,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from niaga.catalog import csv_io, images, queries, sharing
from niaga.catalog import service as catalog
from niaga.catalog.models import ProductImage
from niaga.catalog.schemas import (
    CatalogSettingsIn,
    CatalogSettingsPublic,
    CollectionIn,
    CollectionPublic,
    ImagePublic,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
)
from niaga.core.config import Settings
from niaga.core.errors import DomainError
from niaga.core.i18n import format_idr, gettext
from niaga.inbox.models import Conversation
from niaga.inbox.schemas import MessagePublic
from niaga.orders import queries as order_queries
from niaga.orders import service as orders
from niaga.orders import templates as order_templates
from niaga.orders.models import Order
from niaga.orders.schemas import (
    OrderCreate,
    OrderPublic,
    OrderUpdate,
    StatusChangeIn,
    StatusChangePublic,
)
from niaga.security.models import ApiToken
from niaga.web.deps import CanRead, CanSend, LocaleDep, SessionDep, require_role
from niaga.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["catalog", "orders"], responses=PROBLEM_RESPONSES)

CanManage = Annotated[ApiToken, Depends(require_role("owner", "admin"))]
MAX_UPLOAD = images.MAX_BYTES + 1


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def image_public(image: ProductImage) -> ImagePublic:
    return ImagePublic(
        id=image.id,
        url=f"/katalog/gambar/{image.id}",
        thumb_url=f"/katalog/gambar/{image.id}/kecil",
        width=image.width,
        height=image.height,
    )


def product_public(product: Any) -> ProductPublic:
    """The API shape of a product."""
    return ProductPublic(
        id=product.id,
        sku=product.sku,
        name=product.name,
        description=product.description or "",
        price=product.price,
        sale_price=product.sale_price,
        effective_price=product.effective_price,
        price_display=format_idr(product.effective_price),
        currency=product.currency,
        stock=product.stock,
        availability=product.effective_availability,
        condition=product.condition,
        brand=product.brand,
        link=product.link,
        visible=product.visible,
        collections=[c.name for c in product.collections],
        images=[image_public(i) for i in product.images],
    )


def order_public(order: Order) -> OrderPublic:
    out = OrderPublic.model_validate(order)
    out.total_display = format_idr(order.total)
    return out


# --------------------------------------------------------------------------- products


class ProductPage(BaseModel):
    items: list[ProductPublic]
    total: int | None = Field(None, description="Matching products (not given for searches)")


@router.get("/catalog/products", response_model=ProductPage)
def list_products(
    session: SessionDep,
    token: CanRead,
    q: Annotated[str | None, Query(max_length=200, description="Search words or a SKU")] = None,
    collection_id: int | None = None,
    visible: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ProductPage:
    """Products: searched (Indonesian or English, typos forgiven) or listed newest first."""
    if q and q.strip():
        found = queries.search_products(
            session, q, limit=limit, offset=offset, visible_only=visible is True
        )
        return ProductPage(items=[product_public(p) for p in found])
    rows, total = queries.list_products(
        session, collection_id=collection_id, visible=visible, limit=limit, offset=offset
    )
    return ProductPage(items=[product_public(p) for p in rows], total=total)


@router.post("/catalog/products", response_model=ProductPublic, status_code=201)
def create_product(
    data: ProductCreate, session: SessionDep, token: CanManage, locale: LocaleDep
) -> ProductPublic:
    """A new product (SKU = Meta's retailer id)."""
    return product_public(catalog.do_create_product(session, data))


@router.get("/catalog/products/{product_id}", response_model=ProductPublic)
def read_product(
    product_id: int, session: SessionDep, token: CanRead, locale: LocaleDep
) -> ProductPublic:
    return product_public(catalog.get_product(session, product_id))


@router.patch("/catalog/products/{product_id}", response_model=ProductPublic)
def update_product(
    product_id: int,
    data: ProductUpdate,
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
) -> ProductPublic:
    """Change the fields given."""
    product = catalog.get_product(session, product_id)
    return product_public(catalog.do_update_product(session, product, data))


@router.delete("/catalog/products/{product_id}", status_code=204)
def delete_product(
    product_id: int, session: SessionDep, token: CanManage, locale: LocaleDep
) -> Response:
    catalog.do_delete_product(session, catalog.get_product(session, product_id))
    return Response(status_code=204)


@router.post("/catalog/products/{product_id}/images", response_model=ImagePublic, status_code=201)
def upload_image(
    product_id: int,
    request: Request,
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 10 MB")],
) -> ImagePublic:
    """Upload a picture; it is stored locally with a thumbnail."""
    data = file.file.read(MAX_UPLOAD)
    product = catalog.get_product(session, product_id)
    row = images.do_add_image(session, product, data, _settings(request).data_dir)
    return image_public(row)


@router.delete("/catalog/products/{product_id}/images/{image_id}", status_code=204)
def delete_image(
    product_id: int,
    image_id: int,
    request: Request,
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
) -> Response:
    image = session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        raise HTTPException(404, detail=gettext("Not found.", locale))
    images.do_delete_image(session, image, _settings(request).data_dir)
    return Response(status_code=204)


@router.get("/catalog/products/{product_id}/order-link")
def order_link(
    product_id: int, request: Request, session: SessionDep, token: CanRead, locale: LocaleDep
) -> dict[str, str]:
    """The wa.me link (with the prefilled order message) for a product."""
    product = catalog.get_product(session, product_id)
    settings = _settings(request)
    return {
        "url": sharing.product_order_link(settings.wa_display_phone_number, product),
        "text": sharing.order_text(product),
    }


# --------------------------------------------------------------------------- collections


@router.get("/catalog/collections", response_model=list[CollectionPublic])
def list_collections(session: SessionDep, token: CanRead) -> list[CollectionPublic]:
    return [CollectionPublic.model_validate(c) for c in queries.list_collections(session)]


@router.post("/catalog/collections", response_model=CollectionPublic, status_code=201)
def create_collection(
    data: CollectionIn, session: SessionDep, token: CanManage, locale: LocaleDep
) -> CollectionPublic:
    return CollectionPublic.model_validate(catalog.do_create_collection(session, data))


@router.put("/catalog/collections/{collection_id}", response_model=CollectionPublic)
def update_collection(
    collection_id: int,
    data: CollectionIn,
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
) -> CollectionPublic:
    collection = catalog.get_collection(session, collection_id)
    return CollectionPublic.model_validate(catalog.do_update_collection(session, collection, data))


@router.delete("/catalog/collections/{collection_id}", status_code=204)
def delete_collection(
    collection_id: int, session: SessionDep, token: CanManage, locale: LocaleDep
) -> Response:
    catalog.do_delete_collection(session, catalog.get_collection(session, collection_id))
    return Response(status_code=204)


# --------------------------------------------------------------------------- settings, CSV


@router.get("/catalog/settings", response_model=CatalogSettingsPublic)
def read_catalog_settings(session: SessionDep, token: CanRead) -> CatalogSettingsPublic:
    return CatalogSettingsPublic.model_validate(catalog.get_settings(session))


@router.put("/catalog/settings", response_model=CatalogSettingsPublic)
def update_catalog_settings(
    data: CatalogSettingsIn, session: SessionDep, token: CanManage
) -> CatalogSettingsPublic:
    """The Meta catalog id (for product messages) and the public page's texts."""
    return CatalogSettingsPublic.model_validate(catalog.do_update_settings(session, data))


class RowErrorPublic(BaseModel):
    row: int
    field: str
    message: str
    sku: str | None


class ImportReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dry_run: bool
    ok: bool
    total_rows: int
    created: int
    updated: int
    errors: list[RowErrorPublic]


@router.post("/catalog/import", response_model=ImportReportPublic)
def import_csv(
    session: SessionDep,
    token: CanManage,
    locale: LocaleDep,
    file: Annotated[UploadFile, File(description="CSV with a header row")],
    dry_run: bool = True,
) -> ImportReportPublic:
    """Import products from CSV. ``dry_run`` (the default) only checks; with any bad row
    nothing is imported and every bad row is reported (HTTP 422)."""
    data = file.file.read(50 * 2**20 + 1)
    if len(data) > 50 * 2**20:
        raise DomainError("csv_too_large", "The file is larger than {mb} MB.", mb=50)
    report = csv_io.do_import_csv(session, data, dry_run=dry_run)
    body = ImportReportPublic(
        dry_run=report.dry_run,
        ok=report.ok,
        total_rows=report.total_rows,
        created=report.created,
        updated=report.updated,
        errors=[RowErrorPublic(**e.__dict__) for e in report.errors],
    )
    if not report.ok:  # a problem document that carries the whole report
        raise DomainError(
            "csv_rows_invalid",
            "{n} rows are not valid; nothing was imported.",
            extra=body.model_dump(),
            n=len(body.errors),
        )
    return body


@router.get("/catalog/export/meta-feed.csv", response_class=Response)
def export_feed(request: Request, session: SessionDep, token: CanRead) -> Response:
    """Every visible product in Meta's catalog feed format (for Commerce Manager)."""
    text = csv_io.export_feed_csv(session, _settings(request).public_url)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="katalog-meta.csv"'},
    )


# --------------------------------------------------------------------------- sharing


class ShareProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: int
    body: str | None = Field(None, max_length=1024)


class ShareSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=24)
    product_ids: list[int] = Field(min_length=1, max_length=30)


class ShareListIn(BaseModel):
    """Give ``product_ids`` (grouped by collection) or your own ``sections``."""

    model_config = ConfigDict(extra="forbid")

    product_ids: list[int] | None = Field(None, min_length=1, max_length=200)
    sections: list[ShareSection] | None = Field(None, min_length=1, max_length=50)
    header: str | None = Field(None, max_length=60)
    body: str | None = Field(None, max_length=1024)


class ShareCatalogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(None, max_length=1024)
    thumbnail_product_id: int | None = None


IdempotencyKey = Annotated[
    str | None, Header(max_length=100, description="Send the same key again to retry safely")
]


def _key(token: ApiToken, idempotency_key: str | None) -> str | None:
    return f"api-{token.id}-{idempotency_key}" if idempotency_key else None


def _conversation(session: SessionDep, conversation_id: int, locale: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise HTTPException(404, detail=gettext("Not found.", locale))
    return conversation


@router.post(
    "/conversations/{conversation_id}/share/product",
    response_model=MessagePublic,
    status_code=202,
)
def share_product(
    conversation_id: int,
    data: ShareProductIn,
    request: Request,
    session: SessionDep,
    token: CanSend,
    locale: LocaleDep,
    idempotency_key: IdempotencyKey = None,
) -> MessagePublic:
    """Send one product into the chat (inside the 24-hour window)."""
    conversation = _conversation(session, conversation_id, locale)
    sent = sharing.do_share_product(
        session,
        conversation,
        data.product_id,
        sandbox=_settings(request).sandbox,
        user_id=token.user_id,
        body=data.body,
        idempotency_key=_key(token, idempotency_key),
    )
    return MessagePublic.model_validate(sent)


@router.post(
    "/conversations/{conversation_id}/share/product-list",
    response_model=MessagePublic,
    status_code=202,
)
def share_product_list(
    conversation_id: int,
    data: ShareListIn,
    request: Request,
    session: SessionDep,
    token: CanSend,
    locale: LocaleDep,
    idempotency_key: IdempotencyKey = None,
) -> MessagePublic:
    """Send up to 30 products in up to 10 sections (Meta's limits)."""
    conversation = _conversation(session, conversation_id, locale)
    sent = sharing.do_share_product_list(
        session,
        conversation,
        data.product_ids or [],
        sandbox=_settings(request).sandbox,
        user_id=token.user_id,
        header=data.header,
        body=data.body,
        sections=[(s.title, s.product_ids) for s in data.sections] if data.sections else None,
        locale=_settings(request).locale,
        idempotency_key=_key(token, idempotency_key),
    )
    return MessagePublic.model_validate(sent)


@router.post(
    "/conversations/{conversation_id}/share/catalog",
    response_model=MessagePublic,
    status_code=202,
)
def share_catalog(
    conversation_id: int,
    data: ShareCatalogIn,
    request: Request,
    session: SessionDep,
    token: CanSend,
    locale: LocaleDep,
    idempotency_key: IdempotencyKey = None,
) -> MessagePublic:
    """Invite the customer to browse the whole catalog."""
    conversation = _conversation(session, conversation_id, locale)
    sent = sharing.do_share_catalog(
        session,
        conversation,
        sandbox=_settings(request).sandbox,
        user_id=token.user_id,
        body=data.body,
        thumbnail_product_id=data.thumbnail_product_id,
        locale=_settings(request).locale,
        idempotency_key=_key(token, idempotency_key),
    )
    return MessagePublic.model_validate(sent)


# --------------------------------------------------------------------------- orders


class OrderPage(BaseModel):
    items: list[OrderPublic]
    next_before_id: int | None


@router.get("/orders", response_model=OrderPage)
def list_orders(
    session: SessionDep,
    token: CanRead,
    status_: Annotated[str | None, Query(alias="status")] = None,
    conversation_id: int | None = None,
    contact_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: int | None = None,
) -> OrderPage:
    """Orders, newest first."""
    rows = order_queries.list_orders(
        session,
        status=status_,
        conversation_id=conversation_id,
        contact_id=contact_id,
        limit=limit,
        before_id=before_id,
    )
    return OrderPage(
        items=[order_public(o) for o in rows],
        next_before_id=rows[-1].id if len(rows) == limit else None,
    )


@router.post("/orders", response_model=OrderPublic, status_code=201)
def create_order(
    data: OrderCreate, session: SessionDep, token: CanSend, locale: LocaleDep
) -> OrderPublic:
    """An order made by an agent in a chat (prices default to the catalog's)."""
    return order_public(orders.do_create_order(session, data, actor_user_id=token.user_id))


@router.get("/orders/by-number/{number}", response_model=OrderPublic)
def read_order_by_number(
    number: int, session: SessionDep, token: CanRead, locale: LocaleDep
) -> OrderPublic:
    order = orders.get_order_by_number(session, number)
    if order is None:
        raise HTTPException(404, detail=gettext("Not found.", locale))
    return order_public(order)


@router.get("/orders/{order_id}", response_model=OrderPublic)
def read_order(
    order_id: int, session: SessionDep, token: CanRead, locale: LocaleDep
) -> OrderPublic:
    return order_public(orders.get_order(session, order_id))


@router.patch("/orders/{order_id}", response_model=OrderPublic)
def update_order(
    order_id: int, data: OrderUpdate, session: SessionDep, token: CanSend, locale: LocaleDep
) -> OrderPublic:
    order = orders.get_order(session, order_id)
    return order_public(orders.do_update_order(session, order, data))


@router.post("/orders/{order_id}/status", response_model=StatusChangePublic)
def change_status(
    order_id: int,
    data: StatusChangeIn,
    request: Request,
    session: SessionDep,
    token: CanSend,
    locale: LocaleDep,
) -> StatusChangePublic:
    """Move the order on; the customer is told (unless ``notify`` is false)."""
    order = orders.get_order(session, order_id)
    change = orders.do_change_status(
        session, order, data, settings=_settings(request), actor_user_id=token.user_id
    )
    return StatusChangePublic.model_validate(change)


@router.post("/orders/templates/submit")
def submit_order_templates(
    request: Request, session: SessionDep, token: CanManage
) -> dict[str, Any]:
    """Submit the order notification templates Meta has not seen yet (reviewed by Meta)."""
    from niaga.runtime import make_channel

    settings = _settings(request)
    wanted = order_templates.missing(session)

    async def submit() -> list[dict[str, Any]]:
        channel = make_channel(settings)
        try:
            return [
                await channel.client.create_template(settings.wa_business_account_id, body)
                for body in wanted
            ]
        finally:
            await channel.close()

    responses = asyncio.run(submit()) if wanted else []
    for body, response in zip(wanted, responses, strict=True):
        order_templates.do_record_submitted(session, body, response)
    return {"submitted": [b["name"] for b in wanted]}
