"""Audiences: who a campaign goes to, as rules over what Niaga knows of each customer.

A segment is a list of conditions that must all hold (each may be negated): labels on the
contact or its chats, attributes, when the customer last wrote, order history (how many, how
much, which products, when), where the customer came from (a click-to-chat link, an ad, a
campaign), their latest CSAT rating, loyalty points, a customer group, marketing consent and
the 24-hour window. Each condition is one SQL predicate on ``contacts``, so a count over
100,000 customers is one query and the recipient list is read in pages, never held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from niaga.automation.models import CsatSurvey
from niaga.campaigns.models import CampaignRecipient, ChatLink, ChatLinkStart
from niaga.community.models import GroupMember
from niaga.contacts.models import ConsentEvent, Contact, ContactLabel, Label
from niaga.core import clock
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.loyalty.models import LoyaltyEntry
from niaga.orders.models import Order, OrderItem

WINDOW = timedelta(hours=24)
NOT_SOLD = ("dibatalkan",)


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    negate: bool = Field(False, description="True: the customers for whom this does NOT hold")


class LabelIs(_Condition):
    """The contact (or one of its chats) carries the label."""

    field: Literal["label"] = "label"
    label: str = Field(min_length=1, max_length=100)
    on: Literal["contact", "conversation", "either"] = "either"


class AttributeIs(_Condition):
    """A contact attribute (from an import or an agent) equals, contains or exists."""

    field: Literal["attribute"] = "attribute"
    key: str = Field(min_length=1, max_length=64)
    op: Literal["equals", "contains", "exists"] = "equals"
    value: str = Field("", max_length=500)


class LastMessage(_Condition):
    """The customer last wrote within (or more than) so many days ago."""

    field: Literal["last_message"] = "last_message"
    op: Literal["within_days", "older_than_days"] = "within_days"
    days: int = Field(ge=0, le=3650)


class OrderHistory(_Condition):
    """Orders (not cancelled): how many, how much in rupiah, or when the last one was."""

    field: Literal["orders"] = "orders"
    measure: Literal["count", "total", "last_within_days", "last_older_than_days"] = "count"
    at_least: int | None = Field(None, ge=0)
    at_most: int | None = Field(None, ge=0)
    days: int | None = Field(None, ge=0, le=3650)


class Bought(_Condition):
    """The customer bought at least one of these products (by SKU)."""

    field: Literal["bought"] = "bought"
    skus: list[str] = Field(min_length=1, max_length=200)


class CameFrom(_Condition):
    """The customer came through a click-to-chat link (optionally one code), an ad
    (Click-to-WhatsApp referral) or a campaign."""

    field: Literal["source"] = "source"
    source: Literal["link", "ad", "campaign"]
    link_code: str | None = Field(None, max_length=8)


class Csat(_Condition):
    """The customer's latest CSAT rating is within the bounds (1–5)."""

    field: Literal["csat"] = "csat"
    at_least: int = Field(1, ge=1, le=5)
    at_most: int = Field(5, ge=1, le=5)


class Consent(_Condition):
    """Marketing consent: granted, withdrawn, or never asked."""

    field: Literal["consent"] = "consent"
    state: Literal["granted", "withdrawn", "unknown"]


class FromCampaign(_Condition):
    """How the customer answered a campaign: got it, did not read it, read it but did not
    reply, clicked its link but did not order (within the conversion window)."""

    field: Literal["campaign"] = "campaign"
    campaign_id: int
    outcome: Literal["received", "not_read", "read_no_reply", "clicked_no_order"] = "received"


class Points(_Condition):
    """Loyalty points: the balance now, or points earned in the last 12 months (what levels
    count: a level's threshold as ``at_least`` is "this level or higher")."""

    field: Literal["points"] = "points"
    measure: Literal["balance", "earned_12m"] = "balance"
    at_least: int | None = Field(None, ge=0)
    at_most: int | None = Field(None, ge=0)


class InGroup(_Condition):
    """A member of a customer group (niaga.community), such as "Pelanggan Setia"."""

    field: Literal["group"] = "group"
    group_id: int


class WindowOpen(_Condition):
    """The 24-hour window is open (the customer wrote within a day): free-form is allowed."""

    field: Literal["window_open"] = "window_open"


Condition = Annotated[
    LabelIs
    | AttributeIs
    | LastMessage
    | OrderHistory
    | Bought
    | CameFrom
    | Csat
    | Consent
    | FromCampaign
    | Points
    | InGroup
    | WindowOpen,
    Field(discriminator="field"),
]


class SegmentRule(BaseModel):
    """Customers for whom every condition holds (no conditions: every customer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conditions: list[Condition] = Field(default_factory=list, max_length=30)


def _label(c: LabelIs) -> ColumnElement[bool]:
    label_id = select(Label.id).where(Label.name == c.label).scalar_subquery()
    on_contact = exists().where(
        ContactLabel.contact_id == Contact.id, ContactLabel.label_id == label_id
    )
    on_chat = exists().where(
        Conversation.contact_id == Contact.id,
        ConversationLabel.conversation_id == Conversation.id,
        ConversationLabel.label_id == label_id,
    )
    return {"contact": on_contact, "conversation": on_chat}.get(c.on, or_(on_contact, on_chat))


def _attribute(c: AttributeIs) -> ColumnElement[bool]:
    value = Contact.attributes[c.key].as_string()
    if c.op == "exists":
        return and_(value.is_not(None), value != "")
    if c.op == "contains":
        return func.lower(value).contains(c.value.lower(), autoescape=True)
    return func.lower(value) == c.value.lower()


def _orders(c: OrderHistory) -> ColumnElement[bool]:
    sold = and_(Order.contact_id == Contact.id, Order.status.not_in(NOT_SOLD))
    if c.measure in ("count", "total"):
        figure = func.count(Order.id) if c.measure == "count" else func.sum(Order.total)
        value = func.coalesce(select(figure).where(sold).scalar_subquery(), 0)
        bounds = []
        if c.at_least is not None:
            bounds.append(value >= c.at_least)
        if c.at_most is not None:
            bounds.append(value <= c.at_most)
        return and_(*bounds) if bounds else true()
    since = clock.now() - timedelta(days=c.days or 0)
    recent = exists().where(sold, Order.created_at >= since)
    if c.measure == "last_within_days":
        return recent
    return and_(exists().where(sold), not_(recent))


def _bought(c: Bought) -> ColumnElement[bool]:
    return exists().where(
        Order.contact_id == Contact.id,
        Order.status.not_in(NOT_SOLD),
        OrderItem.order_id == Order.id,
        OrderItem.sku.in_(c.skus),
    )


def _source(c: CameFrom) -> ColumnElement[bool]:
    if c.source == "link":
        where = [
            Conversation.contact_id == Contact.id,
            ChatLinkStart.conversation_id == Conversation.id,
        ]
        if c.link_code:
            where += [ChatLink.id == ChatLinkStart.link_id, ChatLink.code == c.link_code.upper()]
        return exists().where(*where)
    if c.source == "ad":
        return exists().where(
            Message.contact_id == Contact.id,
            Message.direction == "in",
            Message.referral.is_not(None),
        )
    return exists().where(
        Message.contact_id == Contact.id,
        Message.direction == "out",
        Message.origin == "campaign",
    )


def _csat(c: Csat) -> ColumnElement[bool]:
    latest = (
        select(CsatSurvey.rating)
        .where(CsatSurvey.contact_id == Contact.id, CsatSurvey.rating.is_not(None))
        .order_by(CsatSurvey.answered_at.desc(), CsatSurvey.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return and_(latest >= c.at_least, latest <= c.at_most)


def _consent(c: Consent) -> ColumnElement[bool]:
    # Contact.marketing_opt_out mirrors the ledger's latest marketing entry.
    recorded = exists().where(
        ConsentEvent.contact_id == Contact.id, ConsentEvent.purpose == "marketing"
    )
    if c.state == "withdrawn":
        return Contact.marketing_opt_out.is_(True)
    if c.state == "granted":
        return and_(Contact.marketing_opt_out.is_(False), recorded)
    return and_(Contact.marketing_opt_out.is_(False), not_(recorded))


def _campaign(c: FromCampaign) -> ColumnElement[bool]:
    r = CampaignRecipient
    got = [r.campaign_id == c.campaign_id, r.contact_id == Contact.id, r.state == "sent"]
    if c.outcome == "received":
        return exists().where(*got)
    message = [Message.id == r.message_id]
    if c.outcome == "not_read":
        return exists().where(*got, *message, Message.status.not_in(("read", "played")))
    if c.outcome == "read_no_reply":
        reply = aliased(
            Message
        )  # received_at: when Niaga got it (WhatsApp's times are whole seconds)
        answered = exists().where(
            reply.conversation_id == Message.conversation_id,
            reply.direction == "in",
            reply.received_at > Message.created_at,
        )
        return exists().where(
            *got, *message, Message.status.in_(("read", "played")), not_(answered)
        )
    ordered = exists().where(
        Order.contact_id == Contact.id,
        Order.status.not_in(NOT_SOLD),
        Order.created_at >= r.sent_at,
    )
    return exists().where(*got, r.clicked_at.is_not(None), not_(ordered))


def _points(c: Points) -> ColumnElement[bool]:
    where = [LoyaltyEntry.contact_id == Contact.id]
    if c.measure == "earned_12m":
        where += [
            LoyaltyEntry.kind.in_(("earned", "reversed")),
            LoyaltyEntry.created_at >= clock.now() - timedelta(days=365),
        ]
    held = func.coalesce(
        select(func.sum(LoyaltyEntry.points)).where(*where).correlate(Contact).scalar_subquery(),
        0,
    )
    bounds = [true()]
    if c.at_least is not None:
        bounds.append(held >= c.at_least)
    if c.at_most is not None:
        bounds.append(held <= c.at_most)
    return and_(*bounds)


def predicate(c: Any) -> ColumnElement[bool]:
    """One condition as a predicate on ``contacts``."""
    match c:
        case LabelIs():
            found = _label(c)
        case AttributeIs():
            found = _attribute(c)
        case LastMessage():
            since = clock.now() - timedelta(days=c.days)
            found = (
                Contact.last_inbound_at >= since
                if c.op == "within_days"
                else or_(Contact.last_inbound_at < since, Contact.last_inbound_at.is_(None))
            )
        case OrderHistory():
            found = _orders(c)
        case Bought():
            found = _bought(c)
        case CameFrom():
            found = _source(c)
        case Csat():
            found = _csat(c)
        case Consent():
            found = _consent(c)
        case WindowOpen():
            found = Contact.last_inbound_at >= clock.now() - WINDOW
        case FromCampaign():
            found = _campaign(c)
        case Points():
            found = _points(c)
        case InGroup():
            found = exists().where(
                GroupMember.contact_id == Contact.id,
                GroupMember.group_id == c.group_id,
                GroupMember.left_at.is_(None),
            )
        case _:
            found = false()
    return not_(found) if c.negate else found


def query(rule: SegmentRule) -> Select[tuple[int]]:
    """The ids of the segment's contacts, in id order."""
    reachable = or_(Contact.wa_id.is_not(None), Contact.user_id.is_not(None))
    return (
        select(Contact.id)
        .where(reachable, *(predicate(c) for c in rule.conditions))
        .order_by(Contact.id)
    )


def count(session: Session, rule: SegmentRule) -> int:
    """How many customers the segment holds now."""
    return int(session.scalar(select(func.count()).select_from(query(rule).subquery())) or 0)


def page(session: Session, rule: SegmentRule, *, after: int = 0, limit: int = 1000) -> list[int]:
    """Contact ids after ``after``, ``limit`` at a time (keyset paging)."""
    return list(session.scalars(query(rule).where(Contact.id > after).limit(limit)))


def stream(session: Session, rule: SegmentRule, size: int = 1000) -> Iterator[list[int]]:
    """Every contact id of the segment, a page at a time (memory stays flat)."""
    after = 0
    while ids := page(session, rule, after=after, limit=size):
        yield ids
        after = ids[-1]
