"""The campaign pages: the list with each funnel, the editor (template, audience, parameters,
audience and cost check, send now or schedule) and a campaign's report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from niaga.campaigns import personalise, pricing, segments, sender
from niaga.campaigns import service as campaigns
from niaga.campaigns.models import Campaign, Segment
from niaga.community.models import CommunityGroup
from niaga.contacts.models import Label
from niaga.core.i18n import format_idr
from niaga.templates import service as templates
from niaga.templates.models import MessageTemplate
from niaga.web.auth import CanReadInbox, may, require
from niaga.web.deps import SessionDep
from niaga.web.templating import render

router = APIRouter(prefix="/campaigns", include_in_schema=False)
CanManageCampaigns = Annotated[Any, Depends(require("manage_campaigns"))]
# Sending (now, later, the winner, a retarget, resuming) needs the send permission too.
CanSendCampaigns = Annotated[Any, Depends(require("send_campaigns"))]


class DraftIn(BaseModel):
    """The editor's campaign."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    name: str = Field(min_length=1, max_length=100)
    template_id: int
    rule: segments.SegmentRule
    params: dict[str, personalise.ParameterValue] = Field(default_factory=dict)
    require_consent: bool = True
    link_url: str | None = Field(None, max_length=2000)
    variants: list[campaigns.VariantSpec] | None = Field(None, max_length=5)
    ab_metric: Literal["read", "replied", "clicked", "orders"] = "read"
    test_share: int | None = Field(None, ge=1, le=90)
    winner_after_hours: float | None = Field(None, gt=0, le=720)
    kind: Literal["broadcast", "tip", "tutorial", "news"] = "broadcast"


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str | None = Field(None, description="YYYY-MM-DDTHH:MM in the business's time zone")


def _row(session: SessionDep, campaign: Campaign) -> dict[str, Any]:
    return {"campaign": campaign, "report": campaigns.report(session, campaign)}


@router.get("", response_class=HTMLResponse)
def campaigns_page(request: Request, session: SessionDep, user: CanReadInbox) -> HTMLResponse:
    rows = [
        _row(session, c)
        for c in session.scalars(select(Campaign).order_by(Campaign.created_at.desc()))
    ]
    approved = session.scalars(
        select(MessageTemplate)
        .where(
            MessageTemplate.status == "APPROVED",
            func.coalesce(MessageTemplate.category, "") != "AUTHENTICATION",
        )
        .order_by(MessageTemplate.name, MessageTemplate.language)
    )
    editor = {
        "templates": [templates.composer_fields(t) for t in approved],
        "labels": list(session.scalars(select(Label.name).order_by(Label.name))),
        "groups": [
            {"id": g.id, "name": g.name}
            for g in session.scalars(select(CommunityGroup).order_by(CommunityGroup.name))
        ],
    }
    return render(
        request,
        "campaigns.html",
        rows=rows,
        editor_data=editor,
        can_edit=may(user, "manage_campaigns"),
    )


@router.post("/drafts")
def save_draft(
    data: DraftIn, request: Request, session: SessionDep, user: CanManageCampaigns
) -> Any:
    """Keep the editor's campaign as a draft (new or changed)."""
    draft = campaigns.get(session, data.id) if data.id is not None else None
    campaign = campaigns.do_create(
        session,
        name=data.name,
        template_id=data.template_id,
        params=data.params,
        phone_number_id=request.app.state.settings.wa_phone_number_id,
        rule=data.rule,
        require_consent=data.require_consent,
        user_id=user.id,
        link_url=data.link_url or None,
        draft=draft,
        variants=data.variants,
        ab_metric=data.ab_metric,
        test_share=data.test_share,
        winner_after_hours=data.winner_after_hours,
        kind=data.kind,
    )
    return {"id": campaign.id}


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    rule: segments.SegmentRule


@router.get("/segments", response_class=HTMLResponse)
def segments_page(request: Request, session: SessionDep, user: CanReadInbox) -> HTMLResponse:
    """Saved audiences with their live counts."""
    rows = [
        {
            "segment": seg,
            "count": segments.count(session, segments.SegmentRule.model_validate(seg.rule)),
            "conditions": segments.SegmentRule.model_validate(seg.rule).conditions,
        }
        for seg in session.scalars(select(Segment).order_by(Segment.name))
    ]
    return render(request, "segments.html", rows=rows, can_edit=may(user, "manage_campaigns"))


@router.post("/segments")
def save_segment(data: SegmentIn, session: SessionDep, user: CanManageCampaigns) -> Any:
    """Keep the editor's audience as a named segment (the same name: its rule changes)."""
    row = session.scalars(select(Segment).where(Segment.name == data.name)).first()
    row = row or Segment(name=data.name, rule={})
    row.rule = data.rule.model_dump(mode="json")
    session.add(row)
    session.flush()
    return {"id": row.id, "count": segments.count(session, data.rule)}


@router.post("/segments/{segment_id}/delete")
def delete_segment(segment_id: int, session: SessionDep, user: CanManageCampaigns) -> Response:
    row = session.get(Segment, segment_id) if segment_id < 2**63 else None
    if row is not None:
        session.delete(row)
    return RedirectResponse("/campaigns/segments", status_code=303)


@router.get("/{campaign_id}/estimate")
def estimate(campaign_id: int, request: Request, session: SessionDep, user: CanReadInbox) -> Any:
    """Who it would reach and skip, what the limit holds back, and the estimated cost."""
    plan = sender.plan(session, campaigns.get(session, campaign_id), request.app.state.settings)
    plan["estimate"]["total_idr_display"] = format_idr(plan["estimate"]["total_idr"])
    return plan


@router.post("/{campaign_id}/schedule")
def schedule(
    campaign_id: int,
    data: ScheduleIn,
    request: Request,
    session: SessionDep,
    user: CanSendCampaigns,
) -> Any:
    """Send now, or at a time of the business's time zone."""
    at = None
    if data.at:
        zone = ZoneInfo(request.app.state.settings.timezone)
        at = datetime.fromisoformat(data.at).replace(tzinfo=zone)
    campaign = campaigns.do_schedule(session, campaigns.get(session, campaign_id), at)
    return JSONResponse({"id": campaign.id, "status": campaign.status})


@router.get("/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    campaign_id: int, request: Request, session: SessionDep, user: CanReadInbox
) -> HTMLResponse:
    campaign = campaigns.get(session, campaign_id)
    template = session.get(MessageTemplate, campaign.template_id)
    cost = pricing.actual(session, campaign, request.app.state.settings)
    ab = campaigns.ab_report(session, campaign)
    names = {
        t.id: f"{t.name} ({t.language})"
        for t in session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.id.in_([v["template_id"] for v in (ab or {}).get("variants", [])])
            )
        )
    }
    return render(
        request,
        "campaign.html",
        campaign=campaign,
        template=template,
        report=campaigns.report(session, campaign),
        cost=cost,
        ab=ab,
        template_names=names,
        can_edit=may(user, "manage_campaigns"),
    )


@router.post("/{campaign_id}/send-winner")
def send_winner(campaign_id: int, session: SessionDep, user: CanSendCampaigns) -> Response:
    """The held rest of the A/B test gets the leading version now."""
    campaigns.do_send_winner(session, campaigns.get(session, campaign_id))
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/{campaign_id}/retarget")
def retarget(
    campaign_id: int,
    outcome: Annotated[str, Form()],
    session: SessionDep,
    user: CanManageCampaigns,
) -> Response:
    """One click from the report to a saved segment of the recipients with that outcome."""
    if outcome not in campaigns.OUTCOME_NAMES:
        raise campaigns.CampaignInvalid(
            "campaign_unknown_outcome", "Unknown outcome.", field="outcome"
        )
    segment = campaigns.do_retarget(session, campaigns.get(session, campaign_id), outcome)
    return RedirectResponse(f"/campaigns/segments#segment-{segment.id}", status_code=303)


def _act(session: SessionDep, campaign_id: int, action: str) -> Response:
    campaign = campaigns.get(session, campaign_id)
    {"pause": campaigns.do_pause, "resume": campaigns.do_resume, "cancel": campaigns.do_cancel}[
        action
    ](session, campaign)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/{campaign_id}/pause")
def pause(campaign_id: int, session: SessionDep, user: CanManageCampaigns) -> Response:
    return _act(session, campaign_id, "pause")


@router.post("/{campaign_id}/resume")
def resume(campaign_id: int, session: SessionDep, user: CanSendCampaigns) -> Response:
    return _act(session, campaign_id, "resume")


@router.post("/{campaign_id}/cancel")
def cancel(campaign_id: int, session: SessionDep, user: CanManageCampaigns) -> Response:
    return _act(session, campaign_id, "cancel")
