"""Campaign commands (create, schedule, pause, resume, cancel) and the report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from niaga.campaigns import personalise, segments
from niaga.campaigns.abtest import Arm, compare
from niaga.campaigns.models import Campaign, CampaignRecipient, CampaignVariant, Segment
from niaga.campaigns.variants import variants_of
from niaga.community.models import Poll
from niaga.core import clock, events
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.inbox.models import Message
from niaga.orders.attribution import LOOKBACK as CONVERSION_WINDOW
from niaga.orders.models import Order
from niaga.security import audit
from niaga.templates import service as templates
from niaga.templates.models import MessageTemplate

SAME_SECOND = timedelta(seconds=1)


class CampaignInvalid(DomainError):
    """A campaign that cannot be sent as asked (template, audience, parameters)."""


class CampaignStateError(ConflictError):
    """The campaign is not in a state that allows this."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            "campaign_state",
            "A {status} campaign cannot be {action}.",
            status=status,
            action=action,
        )


def get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id) if campaign_id < 2**63 else None
    if campaign is None:
        raise NotFoundError("campaign_not_found", "Campaign not found.")
    return campaign


def do_create(
    session: Session,
    *,
    name: str,
    template_id: int,
    params: dict[str, personalise.ParameterValue],
    phone_number_id: str,
    rule: segments.SegmentRule | None = None,
    segment_id: int | None = None,
    require_consent: bool = True,
    user_id: int | None = None,
    link_url: str | None = None,
    draft: Campaign | None = None,
    variants: list[VariantSpec] | None = None,
    ab_metric: str = "read",
    retry_limited: bool = False,
    test_share: int | None = None,
    winner_after_hours: float | None = None,
    kind: str = "broadcast",
    poll_id: int | None = None,
) -> Campaign:
    """A draft campaign (or ``draft`` changed): an approved template, an audience and a value
    for every parameter;
    ``link_url`` is where the template's tracked link button leads (its URL must end in
    ``/l/{{1}}`` on this Niaga: each recipient gets their own code, counted when clicked).
    ``variants`` (two or more) make it an A/B test: each recipient gets one variant at random,
    by the variants' shares, and the report compares them on ``ab_metric``."""
    fields = _checked(session, template_id, params, "")
    _check_link(fields, link_url)
    _check_kind(session, kind, poll_id, template_id)
    if variants is not None and len(variants) == 1:
        raise CampaignInvalid(
            "campaign_one_variant", "An A/B test needs two variants or more.", field="variants"
        )
    for i, variant in enumerate(variants or []):
        _check_link(
            _checked(session, variant.template_id, variant.params, f"variants.{i}."), link_url
        )
    if segment_id is not None:
        segment = session.get(Segment, segment_id) if segment_id < 2**63 else None
        if segment is None:
            raise CampaignInvalid(
                "campaign_segment_missing", "Segment not found.", field="segment_id"
            )
        rule = segments.SegmentRule.model_validate(segment.rule)
    if rule is None:
        raise CampaignInvalid(
            "campaign_audience_missing", "Choose a segment or give a rule.", field="rule"
        )
    if draft is not None and draft.status != "draft":
        raise CampaignStateError(draft.status, "changed")
    campaign = draft or Campaign(status="draft", created_by_user_id=user_id)
    campaign.name = name
    campaign.template_id = template_id
    campaign.params = {k: v.model_dump(mode="json") for k, v in params.items()}
    campaign.rule = rule.model_dump(mode="json")
    campaign.segment_id = segment_id
    campaign.phone_number_id = phone_number_id
    campaign.require_consent = require_consent
    campaign.link_url = link_url
    campaign.ab_metric = ab_metric
    campaign.retry_limited = retry_limited
    if test_share is not None and not variants:
        raise CampaignInvalid(
            "campaign_test_share_alone",
            "A test share needs two variants or more.",
            field="test_share",
        )
    campaign.test_share = test_share
    campaign.winner_after_hours = winner_after_hours
    campaign.kind = kind
    campaign.poll_id = poll_id if kind == "poll" else None
    if draft is None:
        session.add(campaign)
    session.flush()
    session.execute(delete(CampaignVariant).where(CampaignVariant.campaign_id == campaign.id))
    for variant in variants or []:
        session.add(
            CampaignVariant(
                campaign_id=campaign.id,
                label=variant.label,
                template_id=variant.template_id,
                params={k: v.model_dump(mode="json") for k, v in variant.params.items()},
                share=variant.share,
            )
        )
    session.flush()
    _record(
        session,
        "campaign.created" if draft is None else "campaign.updated",
        campaign,
        template=template_id,
        segment=segment_id,
        variants=len(variants or []),
    )
    return campaign


KINDS = ("broadcast", "tip", "tutorial", "news", "poll")


def _check_kind(session: Session, kind: str, poll_id: int | None, template_id: int) -> None:
    """A content kind from :data:`KINDS`; a poll names its poll and uses the poll's template."""
    if kind not in KINDS:
        raise CampaignInvalid("campaign_kind", "Unknown kind {kind}.", field="kind", kind=kind)
    if kind != "poll":
        return
    poll = session.get(Poll, poll_id) if poll_id is not None and poll_id < 2**63 else None
    template = session.get(MessageTemplate, template_id)
    if poll is None or template is None or template.name != poll.template_name:
        raise CampaignInvalid(
            "campaign_poll_template",
            "A poll is sent with its own template (approved by Meta).",
            field="poll_id",
        )


def _record(session: Session, kind: str, campaign: Campaign, **details: Any) -> None:
    audit.record(
        session, kind, target=("campaign", campaign.id), details={"name": campaign.name, **details}
    )


class VariantSpec(BaseModel):
    """One arm of an A/B test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$")
    template_id: int
    params: dict[str, personalise.ParameterValue] = Field(default_factory=dict)
    share: int = Field(1, ge=1, le=100)


def _checked(
    session: Session,
    template_id: int,
    params: dict[str, personalise.ParameterValue],
    prefix: str,
) -> dict[str, Any]:
    """An approved template's fields, with a source for each of its parameters."""
    template = session.get(MessageTemplate, template_id) if template_id < 2**63 else None
    if template is None:
        raise CampaignInvalid(
            "campaign_template_missing", "Template not found.", field=f"{prefix}template_id"
        )
    if template.status != "APPROVED":
        raise CampaignInvalid(
            "campaign_template_not_approved",
            "The template {name} is {status} at WhatsApp; only approved templates can be sent.",
            field=f"{prefix}template_id",
            name=template.name,
            status=template.status,
        )
    if (template.category or "").upper() == "AUTHENTICATION":
        raise CampaignInvalid(
            "campaign_authentication",
            "Authentication templates carry one-time codes: your system sends them one by one "
            "through the API, never as a campaign.",
            field=f"{prefix}template_id",
        )
    fields = templates.composer_fields(template)
    if fields["header_media"] and not fields["header_sample"]:
        raise CampaignInvalid(
            "campaign_header_file",
            "The template {name} shows a file in its header; write it in Niaga with its "
            "example file to send it in a campaign.",
            field=f"{prefix}template_id",
            name=template.name,
        )
    needed = [*fields["body_params"], *([fields["header_param"]] if fields["header_param"] else [])]
    for name_ in needed:
        if name_ not in params:
            raise CampaignInvalid(
                "campaign_param_missing",
                "Say where {{{{{param}}}}} comes from.",
                field=f"{prefix}params.{name_}",
                param=name_,
            )
    return fields


def _check_link(fields: dict[str, Any], link_url: str | None) -> None:
    tracked = [b for b in fields["url_buttons"] if str(b["url"]).endswith("/l/{{1}}")]
    if fields["url_buttons"] and not tracked:
        raise CampaignInvalid(
            "campaign_link_button",
            "The template's link button must lead to this Niaga's /l/{parameter} to be tracked.",
            field="template_id",
            parameter="{{1}}",
        )
    if tracked and not link_url:
        raise CampaignInvalid(
            "campaign_link_missing", "Say where the link button leads.", field="link_url"
        )
    if link_url and not tracked:
        raise CampaignInvalid(
            "campaign_link_unused",
            "The template has no tracked link button (a URL ending in /l/{parameter}).",
            field="link_url",
            parameter="{{1}}",
        )
    if link_url and not link_url.startswith(("https://", "http://")):
        raise CampaignInvalid("campaign_link_invalid", "Give an http(s) link.", field="link_url")


def do_schedule(session: Session, campaign: Campaign, at: datetime | None) -> Campaign:
    """Send at ``at`` (business time zone handled by the caller) or now."""
    if campaign.status not in ("draft", "scheduled"):
        raise CampaignStateError(campaign.status, "scheduled")
    campaign.status = "scheduled"
    campaign.scheduled_at = clock.as_utc(at) if at else clock.now()
    session.flush()
    _record(session, "campaign.scheduled", campaign, at=campaign.scheduled_at.isoformat())
    return campaign


def do_pause(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status not in ("running", "scheduled"):
        raise CampaignStateError(campaign.status, "paused")
    campaign.status = "paused"
    session.flush()
    _record(session, "campaign.paused", campaign)
    return campaign


def do_resume(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status != "paused":
        raise CampaignStateError(campaign.status, "resumed")
    campaign.status = "running" if campaign.started_at else "scheduled"
    campaign.note = None
    session.flush()
    _record(session, "campaign.resumed", campaign)
    return campaign


def do_cancel(session: Session, campaign: Campaign) -> Campaign:
    """Stop for good: whoever is still queued is skipped (what was handed over stays sent)."""
    if campaign.status in ("completed", "cancelled"):
        raise CampaignStateError(campaign.status, "cancelled")
    campaign.status = "cancelled"
    campaign.finished_at = clock.now()
    session.execute(
        update(CampaignRecipient)
        .where(
            CampaignRecipient.campaign_id == campaign.id,
            CampaignRecipient.state.in_(("queued", "held")),
        )
        .values(state="skipped", reason="cancelled")
    )
    session.flush()
    _record(session, "campaign.cancelled", campaign)
    events.emit_on_commit(session, "campaign.cancelled", campaign_id=campaign.id)
    return campaign


def report(session: Session, campaign: Campaign, variant_id: int | None = None) -> dict[str, Any]:
    """The funnel: recipients, skipped by reason, sent, delivered, read, replied, failed by
    Meta's code; open rate = read / sent × 100 %, response rate = replied / sent × 100 %."""
    r = CampaignRecipient
    mine = _mine(campaign.id, variant_id)
    by_state = dict(
        session.execute(select(r.state, func.count()).where(mine).group_by(r.state)).all()
    )
    skipped = dict(
        session.execute(
            select(r.reason, func.count()).where(mine, r.state == "skipped").group_by(r.reason)
        ).all()
    )
    statuses = dict(
        session.execute(
            select(Message.status, func.count())
            .join(r, r.message_id == Message.id)
            .where(mine)
            .group_by(Message.status)
        ).all()
    )
    failures = dict(
        session.execute(
            select(Message.error_code, func.count())
            .join(r, r.message_id == Message.id)
            .where(mine, Message.status == "failed")
            .group_by(Message.error_code)
        ).all()
    )
    reply = aliased(Message)
    replied = session.scalar(
        select(func.count())
        .select_from(r)
        .join(Message, Message.id == r.message_id)
        .where(
            mine,
            exists().where(
                and_(
                    reply.conversation_id == Message.conversation_id,
                    reply.direction == "in",
                    reply.received_at > Message.created_at,
                )
            ),
        )
    )
    sent = int(by_state.get("sent", 0))
    orders, revenue = conversions(session, campaign, variant_id)
    clicked = session.scalar(select(func.count()).where(mine, r.clicked_at.is_not(None)))
    delivered = sum(int(statuses.get(s, 0)) for s in ("delivered", "read", "played"))
    read = sum(int(statuses.get(s, 0)) for s in ("read", "played"))
    return {
        "recipients": sum(int(v) for v in by_state.values()),
        "queued": int(by_state.get("queued", 0)),
        "held": int(by_state.get("held", 0)),
        "skipped": {str(k): int(v) for k, v in skipped.items()},
        "sent": sent,
        "delivered": delivered,
        "read": read,
        "replied": int(replied or 0),
        "failed": {str(k): int(v) for k, v in failures.items()},
        "clicked": int(clicked or 0),
        "orders": orders,
        "revenue": revenue,
        "open_rate": round(read * 100 / sent, 1) if sent else None,
        "response_rate": round(int(replied or 0) * 100 / sent, 1) if sent else None,
        "click_through_rate": round(int(clicked or 0) * 100 / sent, 1) if sent else None,
        "conversion_rate": round(orders * 100 / sent, 1) if sent else None,
    }


def _mine(campaign_id: int, variant_id: int | None) -> Any:
    r = CampaignRecipient
    if variant_id is None:
        return r.campaign_id == campaign_id
    return and_(r.campaign_id == campaign_id, r.variant_id == variant_id)


METRICS = {"read": "read", "replied": "replied", "clicked": "clicked", "orders": "orders"}


def ab_report(session: Session, campaign: Campaign) -> dict[str, Any] | None:
    """Each variant's funnel and the verdict on the campaign's metric (None: no A/B test)."""
    arms = variants_of(session, campaign.id)
    if not arms:
        return None
    per = {a.label: report(session, campaign, a.id) for a in arms}
    metric = METRICS.get(campaign.ab_metric, "read")
    verdict = compare([Arm(label, int(f[metric]), int(f["sent"])) for label, f in per.items()])
    return {
        "metric": metric,
        "variants": [
            {"label": a.label, "template_id": a.template_id, "share": a.share, **per[a.label]}
            for a in arms
        ],
        "leader": verdict.leader,
        "runner_up": verdict.runner_up,
        "p_value": verdict.p_value,
        "significant": verdict.significant,
        "more_needed_per_variant": verdict.more_needed,
        "verdict": verdict.text(),
    }


def conversions(
    session: Session, campaign: Campaign, variant_id: int | None = None
) -> tuple[int, int]:
    """Orders (not cancelled) a recipient made within :data:`CONVERSION_WINDOW` after the
    campaign reached them, and their revenue in rupiah (each order once). WhatsApp's times
    have whole seconds, so an order in the same second as the send counts too."""
    r = CampaignRecipient
    mine = _mine(campaign.id, variant_id)
    rows = session.execute(
        select(r.sent_at, Order.id, Order.total, Order.created_at)
        .join(Order, Order.contact_id == r.contact_id)
        .where(mine, r.state == "sent", Order.status != "dibatalkan")
    )
    found: dict[int, int] = {}
    for sent_at, order_id, total, created_at in rows:
        after = clock.as_utc(created_at) - clock.as_utc(sent_at)
        if -SAME_SECOND <= after <= CONVERSION_WINDOW:
            found[order_id] = int(total or 0)
    return len(found), sum(found.values())


def do_click(session: Session, code: str) -> str | None:
    """A recipient opened their tracked link: counted, and where to send them (the campaign's
    destination with UTM parameters), or None for an unknown code."""
    recipient = session.scalars(
        select(CampaignRecipient).where(CampaignRecipient.link_code == code[:16])
    ).first()
    if recipient is None:
        return None
    campaign = session.get_one(Campaign, recipient.campaign_id)
    if not campaign.link_url:
        return None
    recipient.clicks = (recipient.clicks or 0) + 1
    recipient.clicked_at = recipient.clicked_at or clock.now()
    session.flush()
    return with_utm(campaign.link_url, campaign)


def with_utm(url: str, campaign: Campaign) -> str:
    """``url`` with utm_source, utm_medium and utm_campaign (kept if the owner set them)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    slug = "-".join(campaign.name.lower().split())[:60] or "campaign"
    for key, value in (
        ("utm_source", "whatsapp"),
        ("utm_medium", "campaign"),
        ("utm_campaign", f"{slug}-{campaign.id}"),
    ):
        query.setdefault(key, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


OUTCOME_NAMES = {
    "not_read": "{name}: belum dibaca",
    "read_no_reply": "{name}: dibaca, belum membalas",
    "clicked_no_order": "{name}: klik, belum membeli",
}


def do_retarget(
    session: Session, campaign: Campaign, outcome: str, name: str | None = None
) -> Segment:
    """A saved segment of the campaign's recipients with that outcome (named after it)."""
    rule = segments.SegmentRule(
        conditions=[
            segments.FromCampaign(campaign_id=campaign.id, outcome=outcome)  # type: ignore[arg-type]
        ]
    )
    title = (name or OUTCOME_NAMES[outcome].format(name=campaign.name))[:100]
    existing = session.scalars(select(Segment).where(Segment.name == title)).first()
    segment = existing or Segment(name=title, rule={})
    segment.rule = rule.model_dump(mode="json")
    if existing is None:
        session.add(segment)
    session.flush()
    return segment


def do_send_winner(session: Session, campaign: Campaign, label: str | None = None) -> str | None:
    """The held rest of an A/B test gets the winning variant (``label``, else the leader on
    the campaign's metric, else the first); which one it was."""
    arms = {a.label: a for a in variants_of(session, campaign.id)}
    if not arms:
        return None
    if label is None:
        verdict = ab_report(session, campaign)
        label = (verdict or {}).get("leader") or sorted(arms)[0]
    if label not in arms:
        return None
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.state == "held")
        .values(state="queued", variant_id=arms[label].id)
    )
    campaign.winner_label = label
    session.flush()
    return label
