"""Campaign commands (create, schedule, pause, resume, cancel) and the report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from niaga.campaigns import personalise, segments
from niaga.campaigns.models import Campaign, CampaignRecipient, Segment
from niaga.core import clock, events
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.inbox.models import Message
from niaga.orders.attribution import LOOKBACK as CONVERSION_WINDOW
from niaga.orders.models import Order
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
) -> Campaign:
    """A draft campaign (or ``draft`` changed): an approved template, an audience and a value
    for every parameter;
    ``link_url`` is where the template's tracked link button leads (its URL must end in
    ``/l/{{1}}`` on this Niaga: each recipient gets their own code, counted when clicked)."""
    template = session.get(MessageTemplate, template_id) if template_id < 2**63 else None
    if template is None:
        raise CampaignInvalid(
            "campaign_template_missing", "Template not found.", field="template_id"
        )
    if template.status != "APPROVED":
        raise CampaignInvalid(
            "campaign_template_not_approved",
            "The template {name} is {status} at WhatsApp; only approved templates can be sent.",
            field="template_id",
            name=template.name,
            status=template.status,
        )
    fields = templates.composer_fields(template)
    needed = [*fields["body_params"], *([fields["header_param"]] if fields["header_param"] else [])]
    for name_ in needed:
        if name_ not in params:
            raise CampaignInvalid(
                "campaign_param_missing",
                "Say where {{{{{param}}}}} comes from.",
                field=f"params.{name_}",
                param=name_,
            )
    _check_link(fields, link_url)
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
    campaign.template_id = template.id
    campaign.params = {k: v.model_dump(mode="json") for k, v in params.items()}
    campaign.rule = rule.model_dump(mode="json")
    campaign.segment_id = segment_id
    campaign.phone_number_id = phone_number_id
    campaign.require_consent = require_consent
    campaign.link_url = link_url
    if draft is None:
        session.add(campaign)
    session.flush()
    return campaign


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
    return campaign


def do_pause(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status not in ("running", "scheduled"):
        raise CampaignStateError(campaign.status, "paused")
    campaign.status = "paused"
    session.flush()
    return campaign


def do_resume(session: Session, campaign: Campaign) -> Campaign:
    if campaign.status != "paused":
        raise CampaignStateError(campaign.status, "resumed")
    campaign.status = "running" if campaign.started_at else "scheduled"
    campaign.note = None
    session.flush()
    return campaign


def do_cancel(session: Session, campaign: Campaign) -> Campaign:
    """Stop for good: whoever is still queued is skipped (what was handed over stays sent)."""
    if campaign.status in ("completed", "cancelled"):
        raise CampaignStateError(campaign.status, "cancelled")
    campaign.status = "cancelled"
    campaign.finished_at = clock.now()
    session.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.state == "queued")
        .values(state="skipped", reason="cancelled")
    )
    session.flush()
    events.emit_on_commit(session, "campaign.cancelled", campaign_id=campaign.id)
    return campaign


def report(session: Session, campaign: Campaign) -> dict[str, Any]:
    """The funnel: recipients, skipped by reason, sent, delivered, read, replied, failed by
    Meta's code; open rate = read / sent × 100 %, response rate = replied / sent × 100 %."""
    r = CampaignRecipient
    by_state = dict(
        session.execute(
            select(r.state, func.count()).where(r.campaign_id == campaign.id).group_by(r.state)
        ).all()
    )
    skipped = dict(
        session.execute(
            select(r.reason, func.count())
            .where(r.campaign_id == campaign.id, r.state == "skipped")
            .group_by(r.reason)
        ).all()
    )
    statuses = dict(
        session.execute(
            select(Message.status, func.count())
            .join(r, r.message_id == Message.id)
            .where(r.campaign_id == campaign.id)
            .group_by(Message.status)
        ).all()
    )
    failures = dict(
        session.execute(
            select(Message.error_code, func.count())
            .join(r, r.message_id == Message.id)
            .where(r.campaign_id == campaign.id, Message.status == "failed")
            .group_by(Message.error_code)
        ).all()
    )
    reply = aliased(Message)
    replied = session.scalar(
        select(func.count())
        .select_from(r)
        .join(Message, Message.id == r.message_id)
        .where(
            r.campaign_id == campaign.id,
            exists().where(
                and_(
                    reply.conversation_id == Message.conversation_id,
                    reply.direction == "in",
                    reply.created_at > Message.created_at,
                )
            ),
        )
    )
    sent = int(by_state.get("sent", 0))
    orders, revenue = conversions(session, campaign)
    clicked = session.scalar(
        select(func.count()).where(r.campaign_id == campaign.id, r.clicked_at.is_not(None))
    )
    delivered = sum(int(statuses.get(s, 0)) for s in ("delivered", "read", "played"))
    read = sum(int(statuses.get(s, 0)) for s in ("read", "played"))
    return {
        "recipients": sum(int(v) for v in by_state.values()),
        "queued": int(by_state.get("queued", 0)),
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


def conversions(session: Session, campaign: Campaign) -> tuple[int, int]:
    """Orders (not cancelled) a recipient made within :data:`CONVERSION_WINDOW` after the
    campaign reached them, and their revenue in rupiah (each order once). WhatsApp's times
    have whole seconds, so an order in the same second as the send counts too."""
    r = CampaignRecipient
    rows = session.execute(
        select(r.sent_at, Order.id, Order.total, Order.created_at)
        .join(Order, Order.contact_id == r.contact_id)
        .where(r.campaign_id == campaign.id, r.state == "sent", Order.status != "dibatalkan")
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
