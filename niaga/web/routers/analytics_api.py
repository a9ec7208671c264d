"""``/api/v1/analytics``: a period's figures, what they mean and what to do next."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from niaga.analytics import report, texts
from niaga.analytics.periods import period_of, today
from niaga.core import clock
from niaga.web.deps import CanRead, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=PROBLEM_RESPONSES)


@router.get("/summary")
def summary(
    request: Request,
    session: SessionDep,
    token: CanRead,
    locale: LocaleDep,
    period: Literal["day", "week", "month"] = "week",
    day: date | None = Query(None, alias="date", description="A day in the period (local)"),
    against: date | None = Query(
        None, description="A day in the period to compare with (default: the one before)"
    ),
) -> dict[str, Any]:
    """The period's figures (each with its formula, the guide's band and the change against
    the other period, and whether that change is more than chance), failures by Meta's code,
    CSAT distribution, first-response buckets, per agent, and recommendations with their
    evidence. Times are the business's time zone."""
    zone = request.app.state.settings.timezone
    chosen = period_of(period, day or today(zone, clock.now()), zone)
    other = period_of(period, against, zone) if against else None
    return texts.localise(report.build(session, chosen, other), locale)
