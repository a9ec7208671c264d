"""Sending campaigns: recipients built from the audience once, then handed to the outbox a
little at a time, each checked just before it goes.

Every tick (twice a second, in the worker):

1. due scheduled campaigns start;
2. a running campaign's audience is written as recipients (pages of it for up to two seconds
   a tick; the unique (campaign, contact) key makes a crash or a second worker harmless);
3. outside quiet hours and within Meta's messaging limit, queued recipients are claimed, at most
   :attr:`Settings.campaign_window_seconds` of sending beyond what is still waiting in the
   outbox, and each is checked at that moment: reachable, marketing consent, the frequency cap,
   every parameter filled. The checked ones become messages and outbox rows in the same
   transaction that marks them sent (the outbox key ``camp<id>-c<contact>`` is unique too), so
   nobody gets a campaign twice, even after ``kill -9``;
4. a campaign with nothing queued is completed (its messages' statuses keep arriving).

An opt-out, a pause or a cancel therefore reaches every message not yet handed over: at most
a couple of seconds of sending.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from datetime import datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.campaigns import personalise, pricing, segments
from niaga.campaigns import service as campaign_service
from niaga.campaigns.models import Campaign, CampaignRecipient, MessagingLimit
from niaga.campaigns.variants import assign, bucket, variants_of
from niaga.channels.whatsapp.outgoing import TemplateMediaHeader, TemplateMessage
from niaga.community import polls
from niaga.contacts import consent
from niaga.contacts.models import ConsentEvent, Contact
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import insert_ignoring_conflicts
from niaga.inbox import service as inbox
from niaga.inbox.models import Message
from niaga.templates import service as templates
from niaga.templates.models import MessageTemplate

log = logging.getLogger(__name__)

BUILD_PAGE = 5000
BUILD_SECONDS = 2.0
WEEK = timedelta(days=7)
DAY = timedelta(days=1)


def quiet_now(settings: Settings, at: datetime | None = None) -> datetime | None:
    """When quiet hours end, if it is quiet now in the business's time zone."""
    if not settings.campaign_quiet_hours:
        return None
    start_text, end_text = settings.campaign_quiet_hours.split("-")
    start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    zone = ZoneInfo(settings.timezone)
    local = clock.as_utc(at or clock.now()).astimezone(zone)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    ends = datetime.combine(local.date(), end, zone)
    if ends <= local:
        ends += DAY
    return ends


def tick(factory: sessionmaker[Session], settings: Settings) -> int:
    """One round over every running campaign; how many messages were handed to the outbox."""
    now = clock.now()
    with factory() as session, session.begin():
        session.execute(
            update(Campaign)
            .where(Campaign.status == "scheduled", Campaign.scheduled_at <= now)
            .values(status="running", started_at=now, updated_at=now)
        )
    with factory() as session:
        running = list(
            session.scalars(
                select(Campaign.id).where(Campaign.status == "running").order_by(Campaign.id)
            )
        )
    with factory() as session, session.begin():
        settle_meta_refusals(session)
    sent = 0
    for campaign_id in running:
        with factory() as session, session.begin():
            sent += _advance(session, campaign_id, settings)
    return sent


def _advance(session: Session, campaign_id: int, settings: Settings) -> int:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "running":
        return 0
    if not campaign.audience_built:
        # Pages of the audience until it is written or the round's budget is spent: 100,000
        # recipients take a few rounds, and a crash loses at most the round's pages.
        started = monotonic()
        while not campaign.audience_built and monotonic() - started < BUILD_SECONDS:
            _build(session, campaign)
        return 0
    _winner_due(session, campaign)
    ends = quiet_now(settings)
    if ends is not None:
        campaign.note = f"quiet_hours_until {ends.isoformat()}"
        return 0
    room = _room(session, campaign, settings)
    if room <= 0:
        return 0
    claimed = _claim(session, campaign.id, room)
    if not claimed:
        if not _any(session, campaign.id, "queued") and not _any(session, campaign.id, "held"):
            campaign.status = "completed"
            campaign.finished_at = clock.now()
            campaign.note = None
        return 0
    campaign.note = None
    return _send(session, campaign, claimed, settings)


LIMITED = 131049  # Meta's per-customer marketing limit: not before 24 h
OPTED_OUT = 131050  # the customer stopped marketing messages in WhatsApp: never again
RECENT = timedelta(days=3)


def settle_meta_refusals(session: Session) -> None:
    """What Meta refused by status webhook: 131050 withdraws marketing consent (the ledger
    keeps Meta's word as proof); 131049 is recorded as limited by Meta and, for campaigns that
    want it, queued once more 24 hours after the send."""
    r = CampaignRecipient
    now = clock.now()
    refused = session.execute(
        select(r, Message.error_code)
        .join(Message, Message.id == r.message_id)
        .where(
            r.state == "sent",
            r.reason.is_(None),
            r.sent_at >= now - RECENT,
            Message.status == "failed",
            Message.error_code.in_((LIMITED, OPTED_OUT)),
        )
        .limit(1000)
    ).all()
    for recipient, code in refused:
        if code == OPTED_OUT:
            recipient.reason = "meta_opted_out"
            contact = session.get(Contact, recipient.contact_id)
            if contact is not None and not contact.marketing_opt_out:
                consent.do_record(
                    session,
                    contact,
                    granted=False,
                    source="whatsapp",
                    proof=f"Meta refused a campaign message: {OPTED_OUT}",
                )
        else:
            recipient.reason = "limited_by_meta"
    again = session.scalars(
        select(r)
        .join(Campaign, Campaign.id == r.campaign_id)
        .where(
            Campaign.retry_limited.is_(True),
            Campaign.status.in_(("running", "completed")),
            r.reason == "limited_by_meta",
            r.attempt == 0,
            r.sent_at <= now - DAY,
        )
        .limit(1000)
    ).all()
    for recipient in again:
        recipient.state, recipient.reason, recipient.attempt = "queued", None, 1
        recipient.message_id, recipient.link_code = None, None
        campaign = session.get_one(Campaign, recipient.campaign_id)
        if campaign.status == "completed":
            campaign.status, campaign.finished_at = "running", None
    session.flush()


def _build(session: Session, campaign: Campaign) -> None:
    """Write the next page of the audience as queued recipients."""
    rule = segments.SegmentRule.model_validate(campaign.rule)
    after = session.scalar(
        select(func.max(CampaignRecipient.contact_id)).where(
            CampaignRecipient.campaign_id == campaign.id
        )
    )
    ids = segments.page(session, rule, after=after or 0, limit=BUILD_PAGE)
    if ids:
        arms = variants_of(session, campaign.id)
        table = CampaignRecipient.__table__
        share = campaign.test_share if arms else None
        rows = []
        for i in ids:
            tested = share is None or bucket(campaign.id, i, 100) < share
            rows.append(
                {
                    "campaign_id": campaign.id,
                    "contact_id": i,
                    "state": "queued" if tested else "held",
                    "variant_id": assign(arms, campaign.id, i) if tested else None,
                }
            )
        session.execute(insert_ignoring_conflicts(session, table), rows)
    if len(ids) < BUILD_PAGE:
        campaign.audience_built = True


def _winner_due(session: Session, campaign: Campaign) -> None:
    if campaign.winner_label or not campaign.test_share or campaign.winner_after_hours is None:
        return
    started = campaign.started_at
    if started is None:
        return
    if clock.as_utc(started) + timedelta(hours=campaign.winner_after_hours) <= clock.now():
        campaign_service.do_send_winner(session, campaign)


def _room(session: Session, campaign: Campaign, settings: Settings) -> int:
    """How many more may go now: the window of sending, and Meta's messaging limit."""
    window = max(10, int(settings.wa_messages_per_second * settings.campaign_window_seconds))
    waiting = session.scalar(
        select(func.count())
        .select_from(CampaignRecipient)
        .join(Message, Message.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id == campaign.id, Message.status == "pending")
    )
    room = window - int(waiting or 0)
    limit = messaging_limit(session, campaign.phone_number_id, settings)
    if limit:
        used = session.scalar(
            select(func.count(func.distinct(CampaignRecipient.contact_id))).where(
                CampaignRecipient.state == "sent",
                CampaignRecipient.sent_at >= clock.now() - DAY,
            )
        )
        left = limit - int(used or 0)
        if left <= 0:
            campaign.note = "messaging_limit"
        room = min(room, left)
    return room


def messaging_limit(session: Session, phone_number_id: str, settings: Settings) -> int:
    """Meta's limit for the number as last read (0: unlimited), else the configured one."""
    known = session.get(MessagingLimit, phone_number_id)
    if known is None or known.tier == "unknown":
        return settings.wa_messaging_limit
    return known.limit or 0


def _claim(session: Session, campaign_id: int, limit: int) -> list[CampaignRecipient]:
    query = (
        select(CampaignRecipient)
        .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state == "queued")
        .order_by(CampaignRecipient.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _any(session: Session, campaign_id: int, state: str) -> bool:
    """Whether the campaign has a recipient in ``state`` (queued; held for an A/B winner)."""
    return (
        session.scalars(
            select(CampaignRecipient.id).where(
                CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state == state
            )
        ).first()
        is not None
    )


def _send(
    session: Session, campaign: Campaign, claimed: list[CampaignRecipient], settings: Settings
) -> int:
    """Hand the claimed recipients over, each with their variant's template and parameters."""
    arms = {v.id: v for v in variants_of(session, campaign.id)}
    groups: dict[int | None, list[CampaignRecipient]] = {}
    for recipient in claimed:
        groups.setdefault(recipient.variant_id, []).append(recipient)
    handed = 0
    for variant_id, group in groups.items():
        arm = arms.get(variant_id) if variant_id is not None else None
        template_id = arm.template_id if arm else campaign.template_id
        params = arm.params if arm else campaign.params
        template = session.get_one(MessageTemplate, template_id)
        if template.status != "APPROVED":
            campaign.status = "paused"
            campaign.note = f"template_{template.status.lower()}"
            return handed
        handed += _send_group(session, campaign, template, params or {}, group, settings)
    return handed


def _send_group(
    session: Session,
    campaign: Campaign,
    template: MessageTemplate,
    raw_params: dict[str, Any],
    claimed: list[CampaignRecipient],
    settings: Settings,
) -> int:
    fields = templates.composer_fields(template, settings.public_url)
    vetted = _vet(
        session, campaign, template, fields, raw_params, [r.contact_id for r in claimed], settings
    )
    now = clock.now()
    going = [r for r in claimed if vetted[r.contact_id][1] is None]
    threads = inbox.do_conversations(
        session, {(r.contact_id, campaign.phone_number_id) for r in going}
    )
    sends: list[inbox.Send] = []
    sending: list[CampaignRecipient] = []
    for recipient in claimed:
        contact, reason, values = vetted[recipient.contact_id]
        if reason is not None:
            recipient.state, recipient.reason = "skipped", reason
            continue
        assert contact is not None
        if campaign.link_url:
            recipient.link_code = secrets.token_urlsafe(8)[:11]
        message = _message(template, fields, values, recipient.link_code, campaign.poll_id)
        conversation = threads[(contact.id, campaign.phone_number_id)]
        sends.append(
            inbox.Send(
                conversation=conversation,
                outgoing=message,
                key=f"camp{campaign.id}-c{contact.id}"
                + (f"-a{recipient.attempt}" if recipient.attempt else ""),
                recipient=contact.wa_id or contact.user_id or "",
                origin="campaign",
            )
        )
        sending.append(recipient)
    if not sends:
        return 0
    sent = inbox.do_send_messages(session, sends)
    for recipient, message_id in zip(sending, sent, strict=True):
        recipient.state, recipient.message_id, recipient.sent_at = "sent", message_id, now
    session.flush()
    return len(sent)


def _vet(
    session: Session,
    campaign: Campaign,
    template: MessageTemplate,
    fields: dict[str, Any],
    raw_params: dict[str, Any],
    ids: list[int],
    settings: Settings,
) -> dict[int, tuple[Contact | None, str | None, dict[str, str]]]:
    """Each contact of ``ids`` with why it would be skipped (None: it goes) and its filled
    parameters: the checks a hand-over makes and the cost preview counts."""
    marketing = (template.category or "MARKETING").upper() == "MARKETING"
    contacts = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    granted = _granted(session, ids) if marketing and campaign.require_consent else None
    capped = _capped(session, ids, settings) if marketing else set()
    params = {k: personalise.ParameterValue.model_validate(v) for k, v in raw_params.items()}
    texts = [fields["header"], fields["body"]]
    filled = {f.contact_id: f for f in personalise.fill(session, ids, texts, params)}
    out: dict[int, tuple[Contact | None, str | None, dict[str, str]]] = {}
    for contact_id in ids:
        contact, found = contacts.get(contact_id), filled.get(contact_id)
        reason = _why_not(contact, granted, capped, found, marketing)
        out[contact_id] = (contact, reason, found.values if found else {})
    return out


def _why_not(
    contact: Contact | None,
    granted: set[int] | None,
    capped: set[int],
    filled: personalise.Filled | None,
    marketing: bool,
) -> str | None:
    if contact is None or not (contact.wa_id or contact.user_id):
        return "unreachable"
    if marketing and contact.marketing_opt_out:
        return "opted_out"
    if granted is not None and contact.id not in granted:
        return "no_consent"
    if contact.id in capped:
        return "frequency_cap"
    if filled is None or filled.skipped:
        return "missing_value"
    return None


def _granted(session: Session, ids: list[int]) -> set[int]:
    """Contacts whose latest marketing consent entry is a grant (opt-outs are caught by the
    mirror column, which moves in the same transaction as the ledger)."""
    return set(
        session.scalars(
            select(ConsentEvent.contact_id)
            .where(
                ConsentEvent.contact_id.in_(ids),
                ConsentEvent.purpose == "marketing",
                ConsentEvent.granted.is_(True),
            )
            .distinct()
        )
    )


def _capped(session: Session, ids: list[int], settings: Settings) -> set[int]:
    """Contacts who already had the week's share of marketing messages."""
    rows = session.execute(
        select(CampaignRecipient.contact_id, func.count())
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .join(MessageTemplate, MessageTemplate.id == Campaign.template_id)
        .where(
            CampaignRecipient.contact_id.in_(ids),
            CampaignRecipient.state == "sent",
            CampaignRecipient.sent_at >= clock.now() - WEEK,
            and_(MessageTemplate.category == "MARKETING"),
        )
        .group_by(CampaignRecipient.contact_id)
    )
    return {cid for cid, n in rows if n >= settings.campaign_frequency_cap}


def _message(
    template: MessageTemplate,
    fields: dict[str, Any],
    values: dict[str, str],
    code: str | None,
    poll_id: int | None = None,
) -> Any:
    named = fields["named"]
    body_names = fields["body_params"]
    body: Any = (
        {n: values[n] for n in body_names}
        if named
        else [values[n] for n in sorted(body_names, key=lambda n: int(n) if n.isdigit() else 0)]
    )
    header: Any = values.get(fields["header_param"]) if fields["header_param"] else None
    if fields["header_media"] and fields["header_sample_url"]:
        header = TemplateMediaHeader(type=fields["header_media"], link=fields["header_sample_url"])
    buttons: list[dict[str, Any]] = [
        {"sub_type": "url", "index": b["index"], "text": code}
        for b in fields["url_buttons"]
        if code and str(b["url"]).endswith("/l/{{1}}")
    ]
    if poll_id is not None:  # each answer button says which poll and answer it is
        buttons += [
            {"sub_type": "quick_reply", "index": i, "payload": polls.payload(poll_id, i)}
            for i in range(len(_quick_replies(template)))
        ]
    return TemplateMessage(
        name=template.name,
        language=template.language,
        body_params=body,
        header=header,
        buttons=buttons,
    )


def _quick_replies(template: MessageTemplate) -> list[dict[str, Any]]:
    for component in template.components or []:
        if str(component.get("type", "")).upper() == "BUTTONS":
            return [
                b
                for b in component.get("buttons", [])
                if str(b.get("type")).upper() == "QUICK_REPLY"
            ]
    return []


def plan(session: Session, campaign: Campaign, settings: Settings) -> dict[str, Any]:
    """Before sending: who the campaign would reach now, who it would skip and why, how many
    Meta's messaging limit would hold back, and the estimated cost (rate card × charged
    messages: marketing always, utility outside the 24-hour window; nothing to a customer in
    an open free entry point)."""
    template = session.get_one(MessageTemplate, campaign.template_id)
    category = (template.category or "MARKETING").lower()
    rule = segments.SegmentRule.model_validate(campaign.rule)
    fields = templates.composer_fields(template)
    card = pricing.rates(session)
    cost = pricing.Cost()
    audience, sending = 0, 0
    skipped: Counter[str] = Counter()
    window_start = clock.now() - DAY
    free = 0
    for ids in segments.stream(session, rule):
        audience += len(ids)
        vetted = _vet(session, campaign, template, fields, campaign.params or {}, ids, settings)
        fep = pricing.free_entry_open(session, ids, clock.now())
        charged: Counter[str] = Counter()
        for contact, reason, _ in vetted.values():
            if reason is not None:
                skipped[reason] += 1
                continue
            assert contact is not None
            sending += 1
            if contact.id in fep:
                free += 1
                continue
            in_window = contact.last_inbound_at and clock.as_utc(contact.last_inbound_at) > (
                window_start
            )
            if category != "utility" or not in_window:
                charged[pricing.country_of(contact.phone or f"+{contact.wa_id}")] += 1
        for country, n in charged.items():
            pricing.add(cost, card, country, category, n, settings)
    held = 0
    limit = messaging_limit(session, campaign.phone_number_id, settings)
    if limit:
        used = session.scalar(
            select(func.count(func.distinct(CampaignRecipient.contact_id))).where(
                CampaignRecipient.state == "sent", CampaignRecipient.sent_at >= window_start
            )
        )
        held = max(0, sending - max(0, limit - int(used or 0)))
    return {
        "messaging_limit": limit or None,
        "audience": audience,
        "will_send": sending,
        "skipped": dict(skipped),
        "held_by_messaging_limit": held,
        "free_entry_point": free,
        "estimate": cost.as_dict(card),
    }
