"""The dashboard: a period's figures at a glance, what they mean, what to do next, and the
change against the period before or a chosen "strategy change" period."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy import select
from starlette.background import BackgroundTask

from niaga.analytics import (
    behind,
    breakdowns,
    costs,
    export,
    exports,
    goals,
    printable,
    reading,
    report,
    schedule,
    texts,
    whatsapp_report,
)
from niaga.analytics.models import ConversionGoal
from niaga.analytics.periods import Period, choose
from niaga.contacts.models import Label
from niaga.core import clock
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.i18n import gettext
from niaga.core.phone import mask
from niaga.security import audit, permissions
from niaga.web.auth import may, require, user_actor
from niaga.web.deps import SessionDep
from niaga.web.forms import form_date
from niaga.web.templating import render

router = APIRouter(prefix="/analytics", include_in_schema=False)
CanReadReports = Annotated[Any, Depends(require("read_reports"))]
CanManageAnalytics = Annotated[Any, Depends(require("manage_analytics"))]
CanExportData = Annotated[Any, Depends(require("export_data"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_DAYS = 366


@router.get("/behind/{key}", response_class=HTMLResponse)
def behind_figure(
    key: str,
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
) -> HTMLResponse:
    """The messages, conversations, orders or answers a figure counts."""
    if key not in behind.KEYS:
        raise NotFoundError("figure_not_found", "Not found.")
    name = gettext(texts.NAMES[key], request.state.locale)
    return _behind_page(
        request, key, name, period, day_text, lambda p: behind.rows(session, p, key)
    )


def _behind_page(
    request: Request,
    key: str,
    name: str,
    period: Literal["day", "week", "month"],
    day_text: str,
    rows_of: Callable[[Period], list[dict[str, Any]]],
) -> HTMLResponse:
    """The records behind a figure (or a goal) in the chosen period."""
    zone = request.app.state.settings.timezone
    day, chosen, _ = choose(period, form_date(day_text, "date"), None, zone, clock.now())
    return render(
        request,
        "analytics_behind.html",
        key=key,
        figure_name=name,
        period=chosen,
        kind=period,
        day=day.isoformat(),
        rows=_numbers_masked(request, rows_of(chosen)),
        limit=behind.LIMIT,
    )


def _numbers_masked(request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with customers' numbers masked for whoever may not see them."""
    if permissions.has(getattr(request.state, "user", None), "see_phone_numbers"):
        return rows
    return [
        {**r, "who": mask(r["who"])} if str(r.get("who") or "").startswith("+") else r for r in rows
    ]


@router.get("/export.csv")
def export_csv(
    request: Request,
    user: CanExportData,
    kind: Literal["messages", "conversations", "contacts", "orders", "recipients"],
    first: date,
    last: date,
) -> Response:
    """Raw records of those local days as CSV, streamed."""
    return export_response(
        request,
        kind,
        first,
        last,
        "csv",
        user_actor(request, user),
        mask_numbers=not permissions.has(user, "see_phone_numbers"),
    )


@router.get("/export.xlsx")
def export_xlsx(
    request: Request,
    user: CanExportData,
    kind: Literal["messages", "conversations", "contacts", "orders", "recipients"],
    first: date,
    last: date,
) -> Response:
    """Raw records of those local days as a spreadsheet."""
    return export_response(
        request,
        kind,
        first,
        last,
        "xlsx",
        user_actor(request, user),
        mask_numbers=not permissions.has(user, "see_phone_numbers"),
    )


@router.get("/report.xlsx")
def download_xlsx(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
    against_text: str = Query("", alias="against", max_length=20),
) -> Response:
    """The period's report as a spreadsheet (one sheet per table)."""
    return _download("xlsx", request, session, period, day_text, against_text)


@router.get("/report.pdf")
def download_pdf(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
    against_text: str = Query("", alias="against", max_length=20),
) -> Response:
    """The period's report as a PDF (A4, with its charts)."""
    return _download("pdf", request, session, period, day_text, against_text)


@router.get("/report.html", response_class=HTMLResponse)
def printable_report(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
    against_text: str = Query("", alias="against", max_length=20),
) -> Response:
    """The period's report as a page of its own, to read, print or save."""
    return _download("html", request, session, period, day_text, against_text)


@router.get("/report.csv")
def download_csv(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
    against_text: str = Query("", alias="against", max_length=20),
) -> Response:
    """The period's figures as CSV."""
    return _download("csv", request, session, period, day_text, against_text)


def _download(
    fmt: str, request: Request, session: Any, period: Any, day_text: str, against_text: str
) -> Response:
    settings, locale = request.app.state.settings, request.state.locale
    _, chosen, other = choose(
        period,
        form_date(day_text, "date"),
        form_date(against_text, "against"),
        settings.timezone,
        clock.now(),
    )
    data = report.for_reader(session, chosen, other, settings, locale)
    name = f"niaga-{period}-{chosen.first.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt in ("html", "pdf"):
        page = printable.html(data, locale=locale, business_name=settings.business_name)
        if fmt == "html":
            return HTMLResponse(page)
        return Response(printable.pdf(page), media_type="application/pdf", headers=headers)
    if fmt == "csv":
        return Response(
            export.to_csv(data, locale), media_type="text/csv; charset=utf-8", headers=headers
        )
    return Response(export.to_xlsx(data, locale), media_type=XLSX, headers=headers)


@router.post("/costs")
def add_cost(
    session: SessionDep,
    user: CanManageAnalytics,
    spent_on: Annotated[str, Form(max_length=20)],
    kind: Annotated[str, Form(max_length=16)],
    amount: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The owner enters a cost (ads, staff, other) of a day."""
    day = form_date(spent_on, "spent_on") or clock.now().date()
    digits = "".join(ch for ch in amount if ch.isdigit())  # "Rp150.000" or "150000"
    costs.do_add(
        session, spent_on=day, kind=kind, amount=int(digits or 0), note=note, user_id=user.id
    )
    return RedirectResponse(f"/analytics?date={day.isoformat()}", status_code=303)


@router.post("/bands")
async def set_bands(request: Request, session: SessionDep, user: CanManageAnalytics) -> Response:
    """The business's own good and poor marks for the banded figures."""
    form = await request.form()
    changes: dict[str, tuple[float, float]] = {}
    for key in reading.BANDS:
        good, poor = str(form.get(f"{key}.good") or ""), str(form.get(f"{key}.poor") or "")
        if good.strip() or poor.strip():
            try:
                changes[key] = (float(good.replace(",", ".")), float(poor.replace(",", ".")))
            except ValueError:
                raise DomainError("band_number", "Give both marks as numbers.", field=key) from None
    reading.do_set_bands(session, changes)
    return RedirectResponse("/analytics#bands", status_code=303)


@router.post("/report-template")
async def submit_report_template(
    request: Request, session: SessionDep, user: CanManageAnalytics
) -> Response:
    """Submit Niaga's report template (a PDF header) for WhatsApp's review."""
    result = await whatsapp_report.submit(request.app.state.settings)
    whatsapp_report.record(session, result)
    return RedirectResponse("/analytics#reports", status_code=303)


@router.post("/goals")
def add_goal(
    request: Request,
    session: SessionDep,
    user: CanManageAnalytics,
    name: Annotated[str, Form(max_length=100)],
    kind: Annotated[str, Form(max_length=16)],
    label: Annotated[str, Form(max_length=100)] = "",
    phrases: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The owner defines a conversion goal (phrases one per line or comma-separated)."""
    goals.do_create_goal(
        session,
        name=name,
        kind=kind,
        label=label,
        phrases=[p for line in phrases.splitlines() for p in line.split(",")],
        actor_user_id=user.id,
    )
    saved = gettext("Goal saved: its past days are being counted.", request.state.locale)
    return RedirectResponse(f"/analytics?goals=open&flash={quote(saved)}#goals", status_code=303)


@router.post("/goals/{goal_id}/delete")
def delete_goal(goal_id: int, session: SessionDep, user: CanManageAnalytics) -> Response:
    goals.do_delete_goal(session, goal_id)
    return RedirectResponse("/analytics#goals", status_code=303)


@router.get("/goals/{goal_id}/behind", response_class=HTMLResponse)
def behind_goal(
    goal_id: int,
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
) -> HTMLResponse:
    """The chats that reached a goal in the period."""
    goal = session.get(ConversionGoal, goal_id)
    if goal is None:
        raise NotFoundError("goal_not_found", "No such goal.")
    name = gettext("Conversion to {goal}", request.state.locale, goal=goal.name)
    return _behind_page(
        request,
        f"goal_{goal_id}",
        name,
        period,
        day_text,
        lambda p: behind.goal_rows(session, p, goal),
    )


@router.post("/costs/{cost_id}/delete")
def delete_cost(cost_id: int, session: SessionDep, user: CanManageAnalytics) -> Response:
    costs.do_delete(session, cost_id)
    return RedirectResponse("/analytics", status_code=303)


def export_response(
    request: Request,
    kind: str,
    first: date,
    last: date,
    fmt: str,
    actor: audit.AuditActor,
    *,
    mask_numbers: bool,
) -> Response:
    """A streamed CSV or an XLSX file (removed once sent) of the records of ``kind``; the
    export is written to the audit log (by ``actor``) before a byte leaves."""
    if last < first or (last - first).days > MAX_EXPORT_DAYS:
        raise DomainError(
            "export_span",
            "Choose up to {days} days, the first before the last.",
            field="last",
            days=MAX_EXPORT_DAYS,
        )
    state = request.app.state
    period = exports.span(first, last, state.settings.timezone)
    audit.record_now(
        state.session_factory,
        "data.export",
        actor=actor,
        target=("export", kind),
        details={
            "kind": kind,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "format": fmt,
            "numbers": "masked" if mask_numbers else "full",
        },
    )
    name = f"niaga-{kind}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return StreamingResponse(
            exports.csv_chunks(state.read_session_factory, kind, period, mask_numbers),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    path = exports.xlsx_file(state.read_session_factory, kind, period, mask_numbers)
    return FileResponse(
        path,
        media_type=XLSX,
        headers=headers,
        background=BackgroundTask(os.unlink, path),
    )


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
    against_text: str = Query("", alias="against", max_length=20),
    by: breakdowns.By = "team",
) -> HTMLResponse:
    settings = request.app.state.settings
    against = form_date(against_text, "against")
    day, chosen, other = choose(
        period, form_date(day_text, "date"), against, settings.timezone, clock.now()
    )
    data = report.for_reader(session, chosen, other, settings, request.state.locale)
    return render(
        request,
        "analytics.html",
        data=data,
        costs=costs.between(session, chosen.first, chosen.last),
        by=by,
        split=breakdowns.breakdown(session, chosen, by),
        behind_keys=behind.KEYS,
        bands=reading.bands_of(session),
        can_edit=may(user, "manage_analytics"),
        reports=schedule.overview(session, settings),
        goals=goals.listed(session),
        labels=[name for (name,) in session.execute(select(Label.name).order_by(Label.name))],
        flash=request.query_params.get("flash"),
        goals_open=request.query_params.get("goals") == "open",
        figures={f["key"]: f for f in data["figures"]},
        kind=period,
        day=day.isoformat(),
        against=against.isoformat() if against else "",
    )
