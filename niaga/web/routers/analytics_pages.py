"""The dashboard: a period's figures at a glance, what they mean, what to do next, and the
change against the period before or a chosen "strategy change" period."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from niaga.analytics import report, texts
from niaga.analytics.periods import period_of, today
from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.web.auth import require
from niaga.web.deps import SessionDep
from niaga.web.templating import render

router = APIRouter(prefix="/analytics", include_in_schema=False)
CanReadReports = Annotated[Any, Depends(require("read_reports"))]


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
    data = texts.localise(report.build(session, chosen, other), request.state.locale)
    return render(
        request,
        "analytics.html",
        data=data,
        figures={f["key"]: f for f in data["figures"]},
        kind=period,
        day=day.isoformat(),
        against=against.isoformat() if against else "",
    )
