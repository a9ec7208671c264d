"""The shop's own settings in the browser: business profile and photo, opening hours,
holidays (Indonesia's national ones loaded per year), the "away now" switch, and the texts of
the greeting, away and acknowledgement messages with a live preview."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from niaga.automation import profile as shop
from niaga.automation import texts
from niaga.automation.hours import DAYS
from niaga.automation.models import BusinessProfile
from niaga.automation.schemas import VERTICALS, ProfileIn
from niaga.core import clock
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.i18n import format_day, gettext
from niaga.orders import preferences
from niaga.orders import templates as order_templates
from niaga.web.auth import CanManageShop
from niaga.web.deps import SessionDep
from niaga.web.forms import back_to, problems
from niaga.web.templating import render

router = APIRouter(prefix="/settings/shop", include_in_schema=False)
PAGE = "/settings/shop"
CONFIRMATION = order_templates.BY_STATUS["baru"].name  # the cart's confirmation template
SPAN = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")


def _back(anchor: str, flash: str | None = None) -> RedirectResponse:
    return back_to(PAGE, flash, anchor=anchor)


def spans_text(spans: list[list[str]] | None) -> str:
    """``[["08:00", "12:00"], ["13:00", "17:00"]]`` → ``"08:00-12:00, 13:00-17:00"``."""
    return ", ".join(f"{a}-{b}" for a, b in spans or [])


def parse_spans(text: str, day: str, locale: str) -> list[tuple[str, str]]:
    """``"08:00-12:00, 13.00-17.00"`` → intervals; empty means closed that day."""
    spans = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        found = SPAN.match(part)
        if found is None:
            raise DomainError(
                "hours_invalid",
                "Write the hours of {day} as 08:00-17:00 (several: 08:00-12:00, 13:00-17:00).",
                field=f"hours_{day}",
                day=gettext(texts.DAY_NAMES[day], locale),
            )
        h1, m1, h2, m2 = found.groups()
        spans.append((f"{int(h1):02d}:{m1}", f"{int(h2):02d}:{m2}"))
    return spans


def _page(request: Request, session: Any) -> HTMLResponse:
    profile = shop.load_profile(session)
    order_prefs = preferences.load(session)
    settings = request.app.state.settings
    today = clock.now().astimezone(shop.zone(profile)).date()
    names = profile.holiday_names or {}
    days = [date.fromisoformat(d) for d in sorted(profile.holidays or [])]
    holidays = [
        {
            "day": day,
            "label": format_day(day, request.state.locale),
            "name": names.get(day.isoformat(), ""),
        }
        for day in days
    ]
    reopens = shop.next_opening(profile)
    return render(
        request,
        "settings_shop.html",
        profile=profile,
        open_now=shop.is_open(profile),
        next_opening=reopens,
        days=[
            (day, texts.DAY_NAMES[day], spans_text((profile.hours or {}).get(day))) for day in DAYS
        ],
        holidays=holidays,
        upcoming=[h for h in holidays if h["day"] >= today],
        past_count=sum(1 for h in holidays if h["day"] < today),
        years=(today.year, today.year + 1),
        verticals=VERTICALS,
        previews=texts.previews(profile, reopens),
        placeholders=texts.PLACEHOLDERS,
        order_prefs=order_prefs,
        courier_days=preferences.courier_days_text(order_prefs),
        confirmation_template=CONFIRMATION,
        confirmation_ready=order_templates.approved(session, CONFIRMATION),
        has_photo=bool(profile.photo_file),
        photo_synced=bool(profile.photo_file) and profile.photo_file == profile.photo_synced_file,
        public_url=settings.public_url,
        flash=request.query_params.get("flash"),
    )


@router.get("", response_class=HTMLResponse)
def shop_page(request: Request, session: SessionDep, user: CanManageShop) -> HTMLResponse:
    return _page(request, session)


def _update(session: Any, anchor: str, **fields: Any) -> Response:
    try:
        changes = ProfileIn(**fields)
    except ValidationError as exc:
        return _back(anchor, problems(exc))
    shop.do_update_profile(session, changes)
    return _back(anchor)


@router.post("/profile")
def save_profile(
    session: SessionDep,
    user: CanManageShop,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=512)] = "",
    about: Annotated[str, Form(max_length=139)] = "",
    address: Annotated[str, Form(max_length=256)] = "",
    email: Annotated[str, Form(max_length=128)] = "",
    website: Annotated[str, Form(max_length=256)] = "",
    category: Annotated[str, Form(max_length=32)] = "RETAIL",
    catalog_url: Annotated[str, Form(max_length=256)] = "",
    support_contact: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    return _update(
        session,
        "profile",
        name=name,
        description=description.strip(),
        about=about.strip(),
        address=address.strip(),
        email=email.strip(),
        website=website.strip(),
        category=category,
        catalog_url=catalog_url.strip(),
        support_contact=support_contact.strip(),
    )


@router.post("/photo")
async def upload_photo(
    request: Request,
    session: SessionDep,
    user: CanManageShop,
    file: Annotated[UploadFile, File()],
) -> Response:
    data = await file.read(shop.PHOTO_MAX_BYTES + 1)
    shop.do_set_photo(session, data, request.app.state.settings.data_dir)
    return _back("profile")


@router.get("/photo")
def photo(request: Request, session: SessionDep, user: CanManageShop) -> Response:
    found = shop.photo_path(shop.load_profile(session), request.app.state.settings.data_dir)
    if found is None:
        raise NotFoundError("not_found", "Not found.")
    return FileResponse(found, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/hours")
async def save_hours(
    request: Request,
    session: SessionDep,
    user: CanManageShop,
    timezone: Annotated[str, Form(max_length=64)] = "Asia/Jakarta",
) -> Response:
    form = await request.form()
    locale = request.state.locale
    hours = {}
    for day in DAYS:
        value = form.get(f"hours_{day}")
        hours[day] = parse_spans(value if isinstance(value, str) else "", day, locale)
    return _update(session, "hours", hours=hours, timezone=timezone.strip())


@router.post("/away")
def switch_away(
    session: SessionDep, user: CanManageShop, away: Annotated[bool, Form()] = False
) -> Response:
    return _update(session, "away", away=away)


@router.post("/holidays")
def add_holiday(
    session: SessionDep,
    user: CanManageShop,
    day: Annotated[date, Form()],
    name: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    shop.do_set_holiday(session, day, name)
    return _back("holidays")


@router.post("/holidays/national")
def add_national(
    request: Request,
    session: SessionDep,
    user: CanManageShop,
    year: Annotated[int, Form(ge=2000, le=2100)],
) -> Response:
    added = shop.do_add_national_holidays(session, year, request.state.locale)
    message = gettext(
        "{n} national holidays of {year} added.", request.state.locale, n=added, year=year
    )
    return _back("holidays", message)


@router.post("/holidays/{day}/delete")
def delete_holiday(session: SessionDep, user: CanManageShop, day: date) -> Response:
    shop.do_set_holiday(session, day, "", remove=True)
    return _back("holidays")


@router.post("/texts")
def save_texts(
    session: SessionDep,
    user: CanManageShop,
    greeting_text: Annotated[str, Form(max_length=4096)] = "",
    away_text: Annotated[str, Form(max_length=4096)] = "",
    ack_text: Annotated[str, Form(max_length=4096)] = "",
    greeting_after_days: Annotated[int, Form(ge=1, le=3650)] = 14,
) -> Response:
    return _update(
        session,
        "texts",
        greeting_text=greeting_text.strip(),
        away_text=away_text.strip(),
        ack_text=ack_text.strip(),
        greeting_after_days=greeting_after_days,
    )


@router.post("/orders")
def save_order_settings(
    session: SessionDep,
    user: CanManageShop,
    confirm_new_orders: Annotated[bool, Form()] = False,
    label_by_status: Annotated[bool, Form()] = False,
    delivery_days: Annotated[int, Form(ge=0, le=preferences.MAX_DAYS)] = 3,
    courier_days: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    preferences.do_save(
        session,
        confirm_new_orders=confirm_new_orders,
        label_by_status=label_by_status,
        delivery_days=delivery_days,
        courier_days=preferences.parse_courier_days(courier_days),
    )
    return _back("orders")


class PreviewIn(BaseModel):
    """The texts as typed (not saved yet)."""

    greeting_text: str = Field("", max_length=4096)
    away_text: str = Field("", max_length=4096)
    ack_text: str = Field("", max_length=4096)


@router.post("/preview")
def preview(session: SessionDep, user: CanManageShop, body: PreviewIn) -> JSONResponse:
    """What a customer would read with the typed texts (nothing is saved)."""
    stored = shop.load_profile(session)
    draft = BusinessProfile(
        **{
            column.key: getattr(stored, column.key)
            for column in BusinessProfile.__mapper__.column_attrs
        }
    )
    draft.greeting_text = body.greeting_text.strip()
    draft.away_text = body.away_text.strip()
    draft.ack_text = body.ack_text.strip()
    return JSONResponse(texts.previews(draft, shop.next_opening(stored)))
