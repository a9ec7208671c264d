"""Customer groups: members join by rule (enough completed orders, or a loyalty level), by the
resolve flow (automation's "add to group" action) or by hand, and leave by hand. A group is a
campaign audience (:class:`niaga.campaigns.segments.InGroup`).

How a group reaches its members is said plainly (``mode``): ``broadcast``, each member in their
own chat. Meta's Groups API (FACTS.md §7) caps a WhatsApp group at 8 participants and needs an
Official Business Account, so a loyal-customers group of a shop is a broadcast group."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.automation.profile import load_profile
from niaga.automation.texts import fill
from niaga.community.models import CommunityGroup, GroupMember
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import insert_ignoring_conflicts
from niaga.core.errors import ConflictError, NotFoundError
from niaga.inbox.service import do_send_text_in_window
from niaga.loyalty import program
from niaga.loyalty.models import LoyaltyEntry
from niaga.loyalty.queries import TIER_WINDOW
from niaga.orders.models import Order

LOYAL = "Pelanggan Setia"
LOYAL_DESCRIPTION = "Pelanggan yang sering berbelanja: penawaran eksklusif untuk mereka."
WHATSAPP_GROUP_LIMIT = 8  # participants per group in Meta's Groups API


class JoinRule(BaseModel):
    """Who joins by themselves: any of the conditions given."""

    model_config = ConfigDict(extra="forbid")

    min_orders: int | None = Field(None, ge=1, le=10_000, description="Completed orders")
    tier: str | None = Field(None, max_length=40, description="A loyalty level or higher")


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)
    join_rule: JoinRule = Field(default_factory=JoinRule)
    welcome_text: str | None = Field(None, max_length=1024)


DEFAULT_WELCOME = (
    "Terima kasih sudah setia berbelanja, {name}! Anda kini anggota {group}: penawaran "
    "eksklusif kami kirim lewat chat ini. Balas STOP kapan saja bila tidak ingin menerimanya."
)


def get(session: Session, group_id: int) -> CommunityGroup:
    group = session.get(CommunityGroup, group_id)
    if group is None:
        raise NotFoundError("group_not_found", "Group {id} does not exist.", id=group_id)
    return group


def by_name(session: Session, name: str) -> CommunityGroup | None:
    return session.scalars(
        select(CommunityGroup).where(func.lower(CommunityGroup.name) == name.strip().lower())
    ).first()


def ensure_loyal(session: Session) -> CommunityGroup:
    """The "Pelanggan Setia" group (made on first use: 3 completed orders or level Perak)."""
    group = by_name(session, LOYAL)
    if group is None:
        try:
            group = do_save(
                session,
                GroupIn(
                    name=LOYAL,
                    description=LOYAL_DESCRIPTION,
                    join_rule=JoinRule(min_orders=3, tier="Perak"),
                    welcome_text=DEFAULT_WELCOME,
                ),
            )
        except ConflictError:  # another process made it at the same moment
            group = by_name(session, LOYAL)
            assert group is not None
    return group


def do_save(session: Session, data: GroupIn, group: CommunityGroup | None = None) -> CommunityGroup:
    clash = by_name(session, data.name)
    if clash is not None and clash is not group:
        raise ConflictError("group_exists", "A group named {name} already exists.", name=data.name)
    clash_error = ConflictError(
        "group_exists", "A group named {name} already exists.", name=data.name.strip()
    )
    try:
        with session.begin_nested():
            group = group or CommunityGroup(mode="broadcast")
            group.name = data.name.strip()
            group.description = data.description
            group.join_rule = data.join_rule.model_dump(exclude_none=True)
            group.welcome_text = data.welcome_text
            session.add(group)
            session.flush()
    except IntegrityError:  # the same name in other letters' case, or made just now
        raise clash_error from None
    return group


def member_count(session: Session, group_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                GroupMember.group_id == group_id, GroupMember.left_at.is_(None)
            )
        )
        or 0
    )


def mode_text(group: CommunityGroup, members: int) -> str:
    """What the app says about how the group reaches people (English msgid)."""
    if group.wa_group_id:
        return (
            "WhatsApp group: members get its invite link in their chat and talk together there; "
            "offers to the group still go to each member's own chat."
        )
    if group.wa_request_id and not group.wa_error:
        return "Broadcast, until Meta confirms the WhatsApp group asked for."
    if members <= WHATSAPP_GROUP_LIMIT:
        return (
            "Broadcast: each member gets messages in their own chat. A WhatsApp group through "
            "Meta's Groups API holds at most 8 people and needs an Official Business Account."
        )
    return (
        "Broadcast: each member gets messages in their own chat (more than the 8 people a "
        "WhatsApp group through Meta's Groups API can hold)."
    )


def is_member(session: Session, group_id: int, contact_id: int) -> bool:
    return (
        session.scalar(
            select(GroupMember.id).where(
                GroupMember.group_id == group_id,
                GroupMember.contact_id == contact_id,
                GroupMember.left_at.is_(None),
            )
        )
        is not None
    )


def do_join(
    session: Session,
    group: CommunityGroup,
    contact_id: int,
    *,
    source: str,
    welcome: bool = True,
) -> bool:
    """Add the customer (True when they were not a member). Someone who left is only taken
    back by hand; a rule never re-adds them."""
    now = clock.now()
    row = session.scalars(
        select(GroupMember).where(
            GroupMember.group_id == group.id, GroupMember.contact_id == contact_id
        )
    ).first()
    if row is not None:
        if row.left_at is None or source != "hand":
            return False
        row.left_at, row.joined_at, row.source = None, now, source
    else:
        result = session.execute(
            insert_ignoring_conflicts(session, GroupMember.__table__).values(
                group_id=group.id, contact_id=contact_id, source=source, joined_at=now
            )
        )
        if not result.rowcount:
            return False
    session.flush()
    if welcome:
        _welcome(session, group, contact_id)
    return True


def do_leave(session: Session, group: CommunityGroup, contact_id: int) -> bool:
    row = session.scalars(
        select(GroupMember).where(
            GroupMember.group_id == group.id,
            GroupMember.contact_id == contact_id,
            GroupMember.left_at.is_(None),
        )
    ).first()
    if row is None:
        return False
    row.left_at = clock.now()
    session.flush()
    return True


def welcome_text(group: CommunityGroup, contact: Contact, business: str) -> str | None:
    if not group.welcome_text:
        return None
    return fill(
        group.welcome_text, {"name": contact.name, "group": group.name, "business": business}
    )


def _welcome(session: Session, group: CommunityGroup, contact_id: int) -> None:
    """Inside the window only: outside it a welcome would need a marketing template."""
    contact = session.get_one(Contact, contact_id)
    text = welcome_text(group, contact, load_profile(session).name)
    if text is not None:
        do_send_text_in_window(
            session, contact_id, text, idempotency_key=f"group-{group.id}-welcome-{contact_id}"
        )


def qualifying(session: Session, group: CommunityGroup, limit: int = 500) -> list[int]:
    """Customers the group's rule takes in who never were members."""
    rule = JoinRule.model_validate(group.join_rule or {})
    known = select(GroupMember.contact_id).where(GroupMember.group_id == group.id)
    found: list[int] = []
    if rule.min_orders:
        found += session.scalars(
            select(Order.contact_id)
            .where(Order.status == "selesai", Order.contact_id.not_in(known))
            .group_by(Order.contact_id)
            .having(func.count() >= rule.min_orders)
            .limit(limit)
        ).all()
    if rule.tier:
        tiers = {t.name.casefold(): t for t in program.load(session).tiers}
        tier = tiers.get(rule.tier.casefold())
        if tier is not None:
            since = clock.now() - TIER_WINDOW
            found += session.scalars(
                select(LoyaltyEntry.contact_id)
                .where(
                    and_(
                        LoyaltyEntry.kind.in_(("earned", "reversed")),
                        LoyaltyEntry.created_at >= since,
                        LoyaltyEntry.contact_id.not_in(known),
                    )
                )
                .group_by(LoyaltyEntry.contact_id)
                .having(func.sum(LoyaltyEntry.points) >= max(1, tier.threshold))
                .limit(limit)
            ).all()
    return sorted(set(found))


def do_apply_rules(session: Session) -> int:
    """Add everyone the groups' rules take in; how many joined."""
    joined = 0
    for group in session.scalars(select(CommunityGroup).order_by(CommunityGroup.id)):
        for contact_id in qualifying(session, group):
            joined += do_join(session, group, contact_id, source="rule")
    return joined
