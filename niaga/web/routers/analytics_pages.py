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
from niaga.web.auth import require
from niaga.web.deps import SessionDep
from niaga.web.templating import render

router = APIRouter(prefix="/analytics", include_in_schema=False)
CanReadReports = Annotated[Any, Depends(require("read_reports"))]


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    user: CanReadReports,
    period: Literal["day", "week", "month"] = "week",
    day: date | None = Query(None, alias="date"),
    against: date | None = None,
) -> HTMLResponse:
    zone = request.app.state.settings.timezone
    chosen = period_of(period, day or today(zone, clock.now()), zone)
    other = period_of(period, against, zone) if against else None
    data = texts.localise(report.build(session, chosen, other), request.state.locale)
    return render(
        request,
        "analytics.html",
        data=data,
        figures={f["key"]: f for f in data["figures"]},
        kind=period,
        day=chosen.first.isoformat(),
        against=against.isoformat() if against else "",
    )
