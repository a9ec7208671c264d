"""Sharing the catalog from a chat: find products, send them as a product message."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from niaga.core.errors import DomainError
from niaga.web.auth import CanReadInbox, CanReply
from niaga.web.deps import SessionDep
from niaga.web.routers.inbox.common import conversation_or_404

router = APIRouter(include_in_schema=False)


@router.get("/inbox/products")
def find_products(
    request: Request, session: SessionDep, user: CanReadInbox, q: str = ""
) -> JSONResponse:
    """Products to share: the catalog search, or the newest visible ones."""
    from niaga.catalog import search as catalog_search
    from niaga.catalog.models import Product
    from niaga.core.i18n import format_idr

    if q.strip():
        products = catalog_search.search(session, q, limit=30, visible_only=True)
    else:
        products = list(
            session.scalars(
                select(Product)
                .where(Product.visible.is_(True))
                .order_by(Product.id.desc())
                .limit(30)
            )
        )
    items = [
        {
            "id": p.id,
            "sku": p.sku,
            "name": p.name,
            "price": format_idr(p.sale_price or p.price, request.state.locale),
        }
        for p in products
    ]
    return JSONResponse({"items": items})


class ShareIn(BaseModel):
    kind: Literal["product", "product_list", "catalog"]
    product_ids: list[int] = Field(default_factory=list, max_length=30)
    body: str | None = Field(None, max_length=1024)
    idempotency_key: str | None = Field(None, max_length=100)


@router.post("/inbox/c/{conversation_id}/share")
def share_products(
    request: Request, session: SessionDep, user: CanReply, conversation_id: int, body: ShareIn
) -> JSONResponse:
    """Send a product, a product list (Meta's limits) or the whole catalog into the chat."""
    from niaga.catalog import sharing

    locale = request.state.locale
    settings = request.app.state.settings
    conversation = conversation_or_404(session, conversation_id, locale)
    key = f"ui-{user.id}-{body.idempotency_key}" if body.idempotency_key else None
    if body.kind == "product":
        if len(body.product_ids) != 1:
            raise DomainError("one_product", "Choose exactly one product.", field="product_ids")
        sent = sharing.do_share_product(
            session,
            conversation,
            body.product_ids[0],
            sandbox=settings.sandbox,
            user_id=user.id,
            body=body.body,
            idempotency_key=key,
        )
    elif body.kind == "product_list":
        sent = sharing.do_share_product_list(
            session,
            conversation,
            body.product_ids,
            sandbox=settings.sandbox,
            user_id=user.id,
            body=body.body,
            locale=locale,
            idempotency_key=key,
        )
    else:
        sent = sharing.do_share_catalog(
            session,
            conversation,
            sandbox=settings.sandbox,
            user_id=user.id,
            body=body.body,
            locale=locale,
            idempotency_key=key,
        )
    return JSONResponse({"id": sent.id, "status": sent.status})
