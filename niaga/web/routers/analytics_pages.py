"""The dashboard: a period's figures at a glance, what they mean, what to do next, and the
change against the period before or a chosen "strategy change" period."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from niaga.analytics import costs, report, texts
from niaga.analytics.periods import period_of, today
from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.web.auth import may, require
from niaga.web.deps import SessionDep
from niaga.web.templating import render

router = APIRouter(prefix="/analytics", include_in_schema=False)
CanReadReports = Annotated[Any, Depends(require("read_reports"))]
CanManageCosts = Annotated[Any, Depends(require("manage_costs"))]


@router.post("/costs")
def add_cost(
    session: SessionDep,
    user: CanManageCosts,
    spent_on: Annotated[str, Form(max_length=20)],
    kind: Annotated[str, Form(max_length=16)],
    amount: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The owner enters a cost (ads, staff, other) of a day."""
    day = _date(spent_on, "spent_on") or clock.now().date()
    digits = "".join(ch for ch in amount if ch.isdigit())  # "Rp150.000" or "150000"
    costs.do_add(
        session, spent_on=day, kind=kind, amount=int(digits or 0), note=note, user_id=user.id
    )
    return RedirectResponse(f"/analytics?date={day.isoformat()}", status_code=303)


@router.post("/costs/{cost_id}/delete")
def delete_cost(cost_id: int, session: SessionDep, user: CanManageCosts) -> Response:
    costs.do_delete(session, cost_id)
    return RedirectResponse("/analytics", status_code=303)


def _date(text: str, field: str) -> date | None:
    """A form's date (empty: none chosen)."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("bad_date", "Give a date as YYYY-MM-DD.", field=field) from None


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day_text: str = Query("", alias="date", max_length=20),
    against_text: str = Query("", alias="against", max_length=20),
) -> HTMLResponse:
    zone = request.app.state.settings.timezone
    day, against = _date(day_text, "date"), _date(against_text, "against")
    day = day or today(zone, clock.now())
    chosen = period_of(period, day, zone)
    other = period_of(period, against, zone) if against else None
    settings = request.app.state.settings
    data = texts.localise(report.build(session, chosen, other, settings), request.state.locale)
    return render(
        request,
        "analytics.html",
        data=data,
        costs=costs.between(session, chosen.first, chosen.last),
        can_edit=may(user, "manage_costs"),
        flash=request.query_params.get("flash"),
        figures={f["key"]: f for f in data["figures"]},
        kind=period,
        day=day.isoformat(),
        against=against.isoformat() if against else "",
    )
