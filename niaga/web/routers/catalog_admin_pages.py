"""Signed-in pages for the catalog (owners, admins) and orders (agents too)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import ValidationError

from niaga.catalog import csv_io, images, meta_sync, queries, service
from niaga.catalog.schemas import ProductCreate, ProductUpdate
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.core.i18n import gettext
from niaga.orders import queries as order_queries
from niaga.orders import rewards as order_rewards
from niaga.orders import service as orders
from niaga.orders import templates as order_templates
from niaga.orders.models import STATUSES
from niaga.orders.schemas import StatusChangeIn
from niaga.security.models import User
from niaga.web.auth import (
    Actor,
    CanManageLabels,
    CanOrganise,
    CanReadInbox,
    may,
    require_detached,
)
from niaga.web.deps import SessionDep
from niaga.web.forms import back_to, problems
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)
# Async routes that run their own transactions check the role without holding one.
ManagerActor = Annotated[Actor, Depends(require_detached("manage_labels"))]


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request, session: SessionDep, user: CanManageLabels, q: str = "", page: int = 1
) -> HTMLResponse:
    page = max(1, page)
    if q.strip():
        products = queries.search_products(session, q, limit=50)
        total = len(products)
    else:
        products, total = queries.list_products(session, limit=50, offset=(page - 1) * 50)
    return render(
        request,
        "catalog_admin.html",
        products=products,
        total=total,
        q=q,
        page=page,
        collections=queries.list_collections(session),
        meta=meta_sync.states(session),
        flash=request.query_params.get("flash"),
        report=None,
    )


@router.post("/catalog/meta-sync")
async def sync_with_meta(request: Request, user: ManagerActor) -> Response:
    """Send the catalog's differences to Meta now and say what Meta made of them."""
    from niaga.channels.whatsapp.channel import make_channel
    from niaga.channels.whatsapp.errors import GraphError, GraphTransportError

    state = request.app.state
    settings = state.settings
    locale = request.state.locale
    try:
        async with make_channel(settings) as channel:
            report = await meta_sync.sync(
                state.session_factory, channel, settings.public_url, settings.sandbox
            )
        message = gettext(
            "Sent to Meta: {sent}; accepted {synced}, refused {refused}.",
            locale,
            sent=report.sent,
            synced=report.synced,
            refused=len(report.refused),
        )
    except (GraphError, GraphTransportError) as exc:
        message = gettext("Meta refused: {error}", locale, error=str(exc)[:200])
    except DomainError as exc:
        message = exc.message(locale)
    return back_to("/catalog", message)


@router.post("/catalog/products")
def save_product(
    request: Request,
    session: SessionDep,
    user: CanManageLabels,
    sku: Annotated[str, Form()],
    name: Annotated[str, Form()],
    price: Annotated[str, Form()],
    sale_price: Annotated[str, Form()] = "",
    stock: Annotated[str, Form()] = "",
    collections: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    visible: Annotated[str, Form()] = "",
    product_id: Annotated[int | None, Form()] = None,
) -> Response:
    fields: dict[str, Any] = {
        "sku": sku.strip(),
        "name": name.strip(),
        "description": description,
        "visible": visible == "on",
        "collections": [c.strip() for c in collections.split(",") if c.strip()],
    }
    try:
        fields["price"] = csv_io.parse_rupiah(price)
        if sale_price.strip():
            fields["sale_price"] = csv_io.parse_rupiah(sale_price)
        if stock.strip():
            fields["stock"] = int(stock)
    except ValueError as exc:
        return back_to("/catalog", str(exc))
    try:
        if product_id:
            product = service.get_product(session, product_id)
            service.do_update_product(session, product, ProductUpdate(**fields))
        else:
            service.do_create_product(session, ProductCreate(**fields))
    except ValidationError as exc:
        return back_to("/catalog", problems(exc))
    return back_to("/catalog")


@router.post("/catalog/products/{product_id}/images")
async def upload_image(
    request: Request,
    product_id: int,
    user: ManagerActor,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read()
    settings = request.app.state.settings

    def store() -> None:
        with transaction(request.app.state.session_factory) as session:
            product = service.get_product(session, product_id)
            images.do_add_image(session, product, data, settings.data_dir)

    await asyncio.to_thread(store)
    return back_to("/catalog")


@router.post("/catalog/import", response_class=HTMLResponse)
async def import_csv(
    request: Request,
    user: ManagerActor,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form()] = "",
) -> HTMLResponse:
    data = await file.read()

    def run() -> Any:
        with transaction(request.app.state.session_factory) as session:
            return csv_io.do_import_csv(session, data, dry_run=dry_run == "on")

    report = await asyncio.to_thread(run)
    with transaction(request.app.state.read_session_factory) as session:
        request.state.user = session.get(User, user.id)
        products, total = queries.list_products(session, limit=50)
        return render(
            request,
            "catalog_admin.html",
            products=products,
            total=total,
            q="",
            page=1,
            collections=queries.list_collections(session),
            meta=meta_sync.states(session),
            flash=None,
            report=report,
        )


@router.get("/catalog/export.csv")
def export_feed(request: Request, session: SessionDep, user: CanManageLabels) -> Response:
    body = csv_io.export_feed_csv(session, request.app.state.settings.public_url)
    return PlainTextResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="meta-catalog-feed.csv"'},
    )


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request, session: SessionDep, user: CanReadInbox, status_: str = ""
) -> HTMLResponse:
    rows = order_queries.list_orders(session, status=status_ or None, limit=100)
    return render(
        request,
        "orders.html",
        orders=rows,
        statuses=STATUSES,
        selected=status_,
        can_change=may(user, "organise"),
        templates_waiting=[
            spec.name
            for status, spec in order_templates.BY_STATUS.items()
            if status != "baru" and not order_templates.approved(session, spec.name)
        ],
        flash=request.query_params.get("flash"),
    )


@router.post("/orders/{order_id}/reward-code")
def use_reward_code(
    request: Request,
    session: SessionDep,
    user: CanOrganise,
    order_id: int,
    code: Annotated[str, Form(max_length=40)],
) -> Response:
    """An agent types the customer's reward code; a wrong one is counted (and kept)."""
    order = orders.get_order(session, order_id)
    claim = order_rewards.do_apply_code(
        session, order, code, actor=f"user:{user.id}", user_id=user.id
    )
    locale = request.state.locale
    if claim.refusal is not None or claim.reward is None:
        assert claim.refusal is not None
        return back_to("/orders", claim.refusal.message(locale))
    return back_to(
        "/orders",
        gettext(
            "Code {code} used on order {label}: {reward}.",
            locale,
            code=claim.redemption.code if claim.redemption else code,
            label=order.label,
            reward=claim.reward.name,
        ),
    )


@router.post("/orders/{order_id}/status")
def change_order_status(
    request: Request,
    session: SessionDep,
    user: CanOrganise,
    order_id: int,
    new_status: Annotated[str, Form(alias="status")],
    courier: Annotated[str, Form()] = "",
    tracking_number: Annotated[str, Form()] = "",
    tracking_url: Annotated[str, Form()] = "",
    estimated_arrival: Annotated[date | None, Form()] = None,
    notify: Annotated[str, Form()] = "",
) -> Response:
    order = orders.get_order(session, order_id)
    try:
        data = StatusChangeIn(
            status=new_status,
            courier=courier or None,
            tracking_number=tracking_number or None,
            tracking_url=tracking_url or None,
            estimated_arrival=estimated_arrival,
            notify=notify == "on",
        )
        orders.do_change_status(
            session, order, data, settings=request.app.state.settings, actor_user_id=user.id
        )
    except ValidationError as exc:
        return back_to("/orders", problems(exc))
    return back_to("/orders")
