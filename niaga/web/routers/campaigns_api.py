"""``/api/v1/campaigns``: a template to an audience, scheduled, paused, cancelled, reported."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.campaigns import personalise, pricing, segments, sender
from niaga.campaigns import service as campaigns
from niaga.campaigns.models import Campaign
from niaga.core.errors import PermissionDeniedError
from niaga.security import permissions
from niaga.security.models import ApiToken
from niaga.web.deps import CanRead, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage, settings_of

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"], responses=PROBLEM_RESPONSES)
rates_router = APIRouter(prefix="/api/v1/pricing", tags=["campaigns"], responses=PROBLEM_RESPONSES)


class CampaignIn(BaseModel):
    """An approved template, an audience (a saved segment or a rule) and where each of the
    template's parameters comes from."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    template_id: int
    segment_id: int | None = None
    rule: segments.SegmentRule | None = None
    params: dict[str, personalise.ParameterValue] = Field(default_factory=dict)
    require_consent: bool = Field(
        True, description="Marketing only to customers whose consent is recorded"
    )
    link_url: str | None = Field(
        None,
        max_length=2000,
        description="Where the template's tracked link button (…/l/{{1}}) leads",
    )
    variants: list[campaigns.VariantSpec] | None = Field(
        None, max_length=5, description="Two or more make it an A/B test"
    )
    ab_metric: Literal["read", "replied", "clicked", "orders"] = "read"
    retry_limited: bool = Field(
        False, description="Send once more 24 h after Meta's 131049 (per-customer limit)"
    )
    test_share: int | None = Field(
        None, ge=1, le=90, description="A/B test on this per cent first; the rest is held"
    )
    winner_after_hours: float | None = Field(
        None, gt=0, le=720, description="Then the winning variant goes to the rest"
    )
    kind: Literal["broadcast", "tip", "tutorial", "news", "poll"] = Field(
        "broadcast", description="What it is on the content calendar"
    )
    poll_id: int | None = Field(None, description="For a poll: the poll (its own template)")


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = Field(None, description="When (with its time zone); none: now")


class CampaignPublic(BaseModel):
    id: int
    name: str
    kind: str
    poll_id: int | None
    template_id: int
    segment_id: int | None
    status: str
    require_consent: bool
    link_url: str | None
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    note: str | None = Field(description="Why it waits: quiet hours, the messaging limit…")
    report: dict[str, Any]
    cost: dict[str, Any] = Field(description="What Meta charges so far (billable statuses)")
    ab: dict[str, Any] | None = Field(
        None, description="Each variant's funnel and the verdict: 'variant B wins (p = 0.01)'"
    )


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country_code: str = Field(pattern=r"^(\*|[1-9][0-9]{0,3})$", examples=["62"])
    category: Literal["marketing", "utility", "authentication"]
    currency: Literal["USD", "IDR"]
    rate: float = Field(ge=0, le=100_000)
    source: str | None = Field(None, max_length=200)


def _public(session: SessionDep, campaign: Campaign, request: Request) -> CampaignPublic:
    return CampaignPublic(
        id=campaign.id,
        name=campaign.name,
        kind=campaign.kind,
        poll_id=campaign.poll_id,
        template_id=campaign.template_id,
        segment_id=campaign.segment_id,
        status=campaign.status,
        require_consent=campaign.require_consent,
        link_url=campaign.link_url,
        scheduled_at=campaign.scheduled_at,
        started_at=campaign.started_at,
        finished_at=campaign.finished_at,
        note=campaign.note,
        report=campaigns.report(session, campaign),
        cost=pricing.actual(session, campaign, settings_of(request)),
        ab=campaigns.ab_report(session, campaign),
    )


@router.get("", response_model=list[CampaignPublic])
def list_campaigns(request: Request, session: SessionDep, token: CanRead) -> list[CampaignPublic]:
    rows = session.scalars(select(Campaign).order_by(Campaign.created_at.desc()))
    return [_public(session, c, request) for c in rows]


def _may_send(session: Session, token: ApiToken) -> None:
    """Sending needs the send permission of the token's role and maker."""
    if "send_campaigns" not in permissions.of_token(session, token):
        raise PermissionDeniedError("permission_send", "You may not send campaigns.")


@router.post("", response_model=CampaignPublic, status_code=201)
def create_campaign(
    data: CampaignIn, request: Request, session: SessionDep, token: CanManage
) -> CampaignPublic:
    """A draft; nothing is sent until it is scheduled."""
    campaign = campaigns.do_create(
        session,
        name=data.name,
        template_id=data.template_id,
        params=data.params,
        phone_number_id=settings_of(request).wa_phone_number_id,
        rule=data.rule,
        segment_id=data.segment_id,
        require_consent=data.require_consent,
        user_id=token.user_id,
        link_url=data.link_url,
        variants=data.variants,
        ab_metric=data.ab_metric,
        retry_limited=data.retry_limited,
        test_share=data.test_share,
        winner_after_hours=data.winner_after_hours,
        kind=data.kind,
        poll_id=data.poll_id,
    )
    return _public(session, campaign, request)


@router.get("/{campaign_id}", response_model=CampaignPublic)
def get_campaign(
    campaign_id: int, request: Request, session: SessionDep, token: CanRead
) -> CampaignPublic:
    """The campaign with its funnel: recipients, skipped by reason, sent, delivered, read,
    replied, failed by Meta's code, open and response rates."""
    return _public(session, campaigns.get(session, campaign_id), request)


@router.post("/{campaign_id}/schedule", response_model=CampaignPublic)
def schedule(
    campaign_id: int, data: ScheduleIn, request: Request, session: SessionDep, token: CanManage
) -> CampaignPublic:
    _may_send(session, token)
    campaign = campaigns.do_schedule(session, campaigns.get(session, campaign_id), data.at)
    return _public(session, campaign, request)


@router.post("/{campaign_id}/pause", response_model=CampaignPublic)
def pause(
    campaign_id: int, request: Request, session: SessionDep, token: CanManage
) -> CampaignPublic:
    campaign = campaigns.do_pause(session, campaigns.get(session, campaign_id))
    return _public(session, campaign, request)


@router.post("/{campaign_id}/resume", response_model=CampaignPublic)
def resume(
    campaign_id: int, request: Request, session: SessionDep, token: CanManage
) -> CampaignPublic:
    _may_send(session, token)
    campaign = campaigns.do_resume(session, campaigns.get(session, campaign_id))
    return _public(session, campaign, request)


@router.post("/{campaign_id}/cancel", response_model=CampaignPublic)
def cancel(
    campaign_id: int, request: Request, session: SessionDep, token: CanManage
) -> CampaignPublic:
    campaign = campaigns.do_cancel(session, campaigns.get(session, campaign_id))
    return _public(session, campaign, request)


@router.get("/{campaign_id}/cost")
def cost(campaign_id: int, request: Request, session: SessionDep, token: CanRead) -> Any:
    """Before sending: the audience now, who would be skipped and why, how many the messaging
    limit would hold back, how many are in a free entry point (free for 72 hours after an
    answered Click-to-WhatsApp ad), and the estimated cost from the rate card."""
    campaign = campaigns.get(session, campaign_id)
    return sender.plan(session, campaign, settings_of(request))


@rates_router.get("/rates", response_model=list[RateIn])
def list_rates(session: SessionDep, token: CanRead) -> list[RateIn]:
    """The rate card used for estimates and actual costs."""
    card = pricing.rates(session)
    return [
        RateIn(
            country_code=r.country_code,
            category=r.category,
            currency=r.currency,
            rate=r.rate,
            source=r.source,
        )  # type: ignore[arg-type]
        for r in sorted(card.values(), key=lambda r: (r.country_code, r.category))
    ]


@rates_router.put("/rates", response_model=list[RateIn])
def replace_rates(data: list[RateIn], session: SessionDep, token: CanManage) -> list[RateIn]:
    """Replace the rate card with your copy of Meta's current one (per calling code and
    category, in USD or IDR; ``*`` for every other country)."""
    pricing.do_replace_rates(session, [r.model_dump() for r in data])
    return list_rates(session, token)


class RetargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["not_read", "read_no_reply", "clicked_no_order"]
    name: str | None = Field(None, max_length=100)


@router.post("/{campaign_id}/retarget", status_code=201)
def retarget(
    campaign_id: int, data: RetargetIn, session: SessionDep, token: CanManage
) -> dict[str, Any]:
    """One click from the report to a saved segment: who did not read, read but did not reply,
    or clicked but did not buy."""
    campaign = campaigns.get(session, campaign_id)
    segment = campaigns.do_retarget(session, campaign, data.outcome, data.name)
    rule = segments.SegmentRule.model_validate(segment.rule)
    return {"id": segment.id, "name": segment.name, "count": segments.count(session, rule)}


class WinnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=8, description="None: the leader on the metric")


@router.post("/{campaign_id}/send-winner", response_model=CampaignPublic)
def send_winner(
    campaign_id: int, data: WinnerIn, request: Request, session: SessionDep, token: CanManage
) -> CampaignPublic:
    """Send the held rest of an A/B test the winning variant now."""
    _may_send(session, token)
    campaign = campaigns.get(session, campaign_id)
    if campaigns.do_send_winner(session, campaign, data.label) is None:
        raise campaigns.CampaignInvalid(
            "campaign_no_such_variant", "No such variant in this campaign.", field="label"
        )
    return _public(session, campaign, request)
