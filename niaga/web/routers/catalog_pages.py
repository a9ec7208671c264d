"""The public catalog (no login): ``/katalog``, product pages and product images.

Server-rendered, mobile first, one request per page plus lazy-loaded thumbnails (the small
stylesheet is inlined). Every product has a "Pesan via WhatsApp" wa.me link whose prefilled
message names the product and its SKU.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from niaga.catalog import queries, sharing
from niaga.catalog import service as catalog
from niaga.catalog.models import Product, ProductImage
from niaga.core.i18n import format_idr, gettext
from niaga.web.deps import LocaleDep, SessionDep

router = APIRouter(tags=["public catalog"], include_in_schema=False)

WEB = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=WEB / "templates")
PAGE_SIZE = 24
CACHE_PAGE = "public, max-age=60"
CACHE_IMAGE = "public, max-age=86400"


@lru_cache(maxsize=1)
def _css() -> str:
    return (WEB / "static" / "public" / "catalog.css").read_text(encoding="utf-8")


def _render(request: Request, name: str, locale: str, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    number = settings.wa_display_phone_number

    def t(msgid: str, **params: object) -> str:
        return gettext(msgid, locale, **params)

    response = templates.TemplateResponse(
        request,
        name,
        {
            "locale": locale,
            "css": _css(),
            "t": t,
            "idr": format_idr,
            "order_link": lambda p: sharing.product_order_link(number, p, locale),
            **context,
        },
    )
    response.headers["Cache-Control"] = CACHE_PAGE
    return response


def _shop(session: SessionDep, locale: str) -> dict[str, Any]:
    settings = catalog.get_settings(session)
    if not settings.public:
        raise HTTPException(404)
    return {
        "shop_name": settings.shop_name or gettext("Catalog", locale),
        "tagline": settings.tagline,
    }


@router.get("/katalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    session: SessionDep,
    locale: LocaleDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    koleksi: Annotated[str | None, Query(max_length=120)] = None,
    hal: Annotated[int, Query(ge=1, le=5000)] = 1,
) -> HTMLResponse:
    """Every visible product, by collection or by search, 24 per page."""
    shop = _shop(session, locale)
    collections = queries.list_collections(session, visible_only=True)
    current = queries.collection_by_slug(session, koleksi) if koleksi else None
    offset = (hal - 1) * PAGE_SIZE
    query = (q or "").strip()
    if query:
        products = queries.search_products(
            session, query, limit=PAGE_SIZE + 1, offset=offset, visible_only=True
        )
        more = len(products) > PAGE_SIZE
        products = products[:PAGE_SIZE]
    else:
        products, total = queries.list_products(
            session,
            collection_id=current.id if current else None,
            visible=True,
            limit=PAGE_SIZE,
            offset=offset,
        )
        more = offset + PAGE_SIZE < total

    def page_url(number: int) -> str:
        params = {k: v for k, v in (("q", query), ("koleksi", koleksi)) if v}
        if number > 1:
            params["hal"] = str(number)
        return "/katalog" + (f"?{urlencode(params)}" if params else "")

    return _render(
        request,
        "public/catalog.html",
        locale,
        **shop,
        q=query,
        collections=collections,
        current=current,
        products=products,
        prev_url=page_url(hal - 1) if hal > 1 else None,
        next_url=page_url(hal + 1) if more else None,
    )


@router.get("/katalog/produk/{sku:path}", response_class=HTMLResponse)
def product_page(
    request: Request, sku: str, session: SessionDep, locale: LocaleDep
) -> HTMLResponse:
    """One product with its picture, description and order button."""
    shop = _shop(session, locale)
    product: Product | None = catalog.get_product_by_sku(session, sku)
    if product is None or not product.visible:
        raise HTTPException(404)
    return _render(request, "public/product.html", locale, **shop, q="", p=product)


def _image(request: Request, session: SessionDep, image_id: int, thumb: bool) -> FileResponse:
    image = session.get(ProductImage, image_id)
    if image is None:
        raise HTTPException(404)
    product = session.get(Product, image.product_id)
    if product is None or not product.visible:
        raise HTTPException(404)
    data_dir: Path = request.app.state.settings.data_dir
    path = (data_dir / (image.thumb_path if thumb else image.path)).resolve()
    if not path.is_file() or data_dir.resolve() not in path.parents:
        raise HTTPException(404)
    return FileResponse(path, media_type=image.mime_type, headers={"Cache-Control": CACHE_IMAGE})


@router.get("/katalog/gambar/{image_id}")
def image_file(request: Request, image_id: int, session: SessionDep) -> FileResponse:
    """A product picture (at most 1600 px)."""
    return _image(request, session, image_id, thumb=False)


@router.get("/katalog/gambar/{image_id}/kecil")
def image_thumb(request: Request, image_id: int, session: SessionDep) -> FileResponse:
    """A product thumbnail (400 px)."""
    return _image(request, session, image_id, thumb=True)
