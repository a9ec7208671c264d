"""``/api/v1/catalog/products``: products, their images, and order links (owners, admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from niaga.catalog import images, queries, sharing
from niaga.catalog import service as catalog
from niaga.catalog.models import ProductImage
from niaga.catalog.schemas import ImagePublic, ProductCreate, ProductPublic, ProductUpdate
from niaga.core.i18n import gettext
from niaga.web.deps import CanRead, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import (
    MAX_UPLOAD,
    CanManage,
    image_public,
    product_public,
    settings_of,
)

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=PROBLEM_RESPONSES)


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
    row = images.do_add_image(session, product, data, settings_of(request).data_dir)
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
    images.do_delete_image(session, image, settings_of(request).data_dir)
    return Response(status_code=204)


@router.get("/catalog/products/{product_id}/order-link")
def order_link(
    product_id: int, request: Request, session: SessionDep, token: CanRead, locale: LocaleDep
) -> dict[str, str]:
    """The wa.me link (with the prefilled order message) for a product."""
    product = catalog.get_product(session, product_id)
    settings = settings_of(request)
    return {
        "url": sharing.product_order_link(settings.wa_display_phone_number, product),
        "text": sharing.order_text(product),
    }
