"""``/api/v1/analytics``: a period's figures, what they mean and what to do next."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from niaga.analytics import breakdowns, costs, goals, reading, report, schedule, whatsapp_report
from niaga.analytics.periods import choose
from niaga.core import clock
from niaga.core.errors import PermissionDeniedError
from niaga.security import permissions
from niaga.web.deps import CanRead, LocaleDep, SessionDep, token_actor
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.analytics_pages import export_response
from niaga.web.routers.catalog_api.common import CanManage

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
    settings = request.app.state.settings
    _, chosen, other = choose(period, day, against, settings.timezone, clock.now())
    return report.for_reader(session, chosen, other, settings, locale)


@router.get("/breakdown")
def breakdown(
    request: Request,
    session: SessionDep,
    token: CanRead,
    by: breakdowns.By,
    period: Literal["day", "week", "month"] = "week",
    day: date | None = Query(None, alias="date", description="A day in the period (local)"),
) -> list[dict[str, Any]]:
    """The period's figures per team, label, campaign or template (the same formulas)."""
    zone = request.app.state.settings.timezone
    _, chosen, _ = choose(period, day, None, zone, clock.now())
    return breakdowns.breakdown(session, chosen, by)


@router.get("/exports/{kind}")
def export(
    kind: Literal["messages", "conversations", "contacts", "orders", "recipients"],
    request: Request,
    session: SessionDep,
    token: CanRead,
    first: date = Query(description="The first local day"),
    last: date = Query(description="The last local day (at most 366 days later)"),
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """Raw records created on those local days (campaign recipients: sent on them), as CSV
    (streamed) or XLSX."""
    allowed = permissions.of_token(session, token)
    if "export_data" not in allowed:
        raise PermissionDeniedError("permission_export", "You may not export data.")
    return export_response(
        request,
        kind,
        first,
        last,
        format,
        token_actor(request, token),
        mask_numbers="see_phone_numbers" not in allowed,
    )


class BandIn(BaseModel):
    """Good from ``good``, poor up to ``poor`` (a rate in per cent; CSAT on 1–5)."""

    model_config = ConfigDict(extra="forbid")

    good: float
    poor: float


@router.get("/bands")
def get_bands(session: SessionDep, token: CanRead) -> dict[str, BandIn]:
    """The bands the dashboard reads the rates with: the guide's, or the business's own."""
    return {k: BandIn(good=g, poor=p) for k, (g, p) in reading.bands_of(session).items()}


@router.put("/bands")
def set_bands(data: dict[str, BandIn], session: SessionDep, token: CanManage) -> dict[str, BandIn]:
    """Set the business's own bands for some figures (open_rate, response_rate,
    conversion_rate, csat_average)."""
    kept = reading.do_set_bands(session, {k: (b.good, b.poor) for k, b in data.items()})
    return {k: BandIn(good=g, poor=p) for k, (g, p) in kept.items()}


class CostIn(BaseModel):
    """A cost of the owner's besides Meta's charges, on a local day."""

    model_config = ConfigDict(extra="forbid")

    spent_on: date
    kind: Literal["ads", "staff", "other"]
    amount: int = Field(gt=0, le=costs.MAX_AMOUNT, description="Rupiah")
    note: str | None = Field(None, max_length=200)


class CostPublic(CostIn):
    id: int


@router.get("/costs", response_model=list[CostPublic])
def list_costs(
    session: SessionDep,
    token: CanRead,
    first: date = Query(description="The first local day"),
    last: date = Query(description="The last local day"),
) -> list[CostPublic]:
    """The owner's costs of those days (ads, staff, other), newest first."""
    return [
        CostPublic(id=c.id, spent_on=c.spent_on, kind=c.kind, amount=c.amount, note=c.note)  # type: ignore[arg-type]
        for c in costs.between(session, first, last)
    ]


@router.post("/costs", response_model=CostPublic, status_code=201)
def add_cost(data: CostIn, session: SessionDep, token: CanManage) -> CostPublic:
    """Record a cost: it counts in the return on investment of its period."""
    cost = costs.do_add(session, **data.model_dump(), user_id=token.user_id)
    return CostPublic(id=cost.id, **data.model_dump())


@router.delete("/costs/{cost_id}", status_code=204)
def delete_cost(cost_id: int, session: SessionDep, token: CanManage) -> Response:
    """Remove a cost entered by mistake."""
    costs.do_delete(session, cost_id)
    return Response(status_code=204)


class GoalIn(BaseModel):
    """A conversion goal besides orders: a label put on the chat, or phrases the customer
    writes (read like keyword rules: slang, affixes and typos tolerated)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: Literal["label", "phrase"]
    label: str | None = Field(None, max_length=100, description="For a label goal")
    phrases: list[str] = Field(
        default_factory=list, max_length=goals.MAX_PHRASES, description="For a phrase goal"
    )


@router.get("/goals")
def list_goals(session: SessionDep, token: CanRead) -> list[dict[str, Any]]:
    """The business's conversion goals; ``counted`` is false while their past days are
    still being counted in the background."""
    return goals.listed(session)


@router.post("/goals", status_code=201)
def add_goal(data: GoalIn, session: SessionDep, token: CanManage) -> dict[str, Any]:
    """Define a goal: its rate (chats reaching it ÷ chats × 100 %) joins the summary's
    ``goals``, its past days counted in the background."""
    goal = goals.do_create_goal(session, **data.model_dump(), actor_user_id=token.user_id)
    return next(g for g in goals.listed(session) if g["id"] == goal.id)


@router.delete("/goals/{goal_id}", status_code=204)
def delete_goal(goal_id: int, session: SessionDep, token: CanManage) -> Response:
    """Forget a goal and its counts."""
    goals.do_delete_goal(session, goal_id)
    return Response(status_code=204)


@router.get("/reports")
def scheduled_reports(request: Request, session: SessionDep, token: CanRead) -> dict[str, Any]:
    """Where the weekly and monthly reports go (email, WhatsApp), whether the WhatsApp
    template is approved, and the latest deliveries with their state and error."""
    return schedule.overview(session, request.app.state.settings)


@router.post("/reports/whatsapp-template", status_code=201)
async def submit_report_template(
    request: Request, session: SessionDep, token: CanManage
) -> dict[str, Any]:
    """Submit Niaga's report template (the PDF as its document header) for WhatsApp's review;
    a refusal is a 422 with Meta's reason, an unreachable Meta a 502."""
    result = await whatsapp_report.submit(request.app.state.settings)
    whatsapp_report.record(session, result)
    return {"submitted": [d.name for d, _ in result.accepted]}
