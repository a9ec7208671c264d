"""What the catalog and order API routers share: roles, upload limit, public shapes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from niaga.catalog.models import ProductImage
from niaga.catalog.schemas import ImagePublic, ProductPublic
from niaga.core import images
from niaga.core.config import Settings
from niaga.core.i18n import format_idr
from niaga.orders.models import Order
from niaga.orders.schemas import OrderPublic
from niaga.security.models import ApiToken
from niaga.web.deps import require_role

CanManage = Annotated[ApiToken, Depends(require_role("owner", "admin"))]


MAX_UPLOAD = images.MAX_BYTES + 1


def settings_of(request: Request) -> Settings:
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
