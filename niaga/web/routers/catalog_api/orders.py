"""``/api/v1/orders``: orders, their status, and the order templates submitted to WhatsApp."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from niaga.core.errors import UpstreamError
from niaga.core.i18n import gettext
from niaga.orders import queries as order_queries
from niaga.orders import service as orders
from niaga.orders import templates as order_templates
from niaga.orders.schemas import (
    OrderCreate,
    OrderPublic,
    OrderUpdate,
    StatusChangeIn,
    StatusChangePublic,
)
from niaga.templates import authoring
from niaga.templates import sync as template_sync
from niaga.web.deps import CanRead, CanSend, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage, order_public, settings_of

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=PROBLEM_RESPONSES)


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
        session, order, data, settings=settings_of(request), actor_user_id=token.user_id
    )
    return StatusChangePublic.model_validate(change)


@router.post("/orders/templates/submit")
def submit_order_templates(
    request: Request, session: SessionDep, token: CanManage
) -> dict[str, Any]:
    """Submit the order notification templates Meta has not seen yet (reviewed by Meta)."""
    wanted = order_templates.missing(session)
    result = (
        asyncio.run(template_sync.submit_with(settings_of(request), wanted))
        if wanted
        else template_sync.Submission([])
    )
    if result.refused and not result.accepted:
        raise UpstreamError(
            "template_submit_failed",
            "WhatsApp did not accept the template {name}: {reason}",
            name=result.refused,
            reason=result.reason or "",
        )
    for definition, listing in result.accepted:
        authoring.do_record_submitted(session, definition, listing)
    out: dict[str, Any] = {"submitted": [d.name for d, _ in result.accepted]}
    if result.refused:
        out["refused"] = {"name": result.refused, "reason": result.reason}
    return out
