"""Real WhatsApp groups for small customer groups, through Meta's Groups API (FACTS.md §7).

A group of at most 8 members can have a WhatsApp group of its own (the owner asks for it on
the Komunitas page): Niaga asks Meta for it (``request_id``), learns its id from the
``group_lifecycle_update`` webhook, makes an invite link, and sends each member the link in
their chat (inside the 24-hour window: an invitation outside it would need a marketing
template). Members who follow the link are seen joining (``group_participants_update``); a
member who leaves the Niaga group is taken out of the WhatsApp group. When Meta refuses (the
number is not an Official Business Account, or the group is too big), the refusal is kept and
the group stays a broadcast group. Larger groups are always broadcast groups.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.channel import make_channel
from niaga.channels.whatsapp.errors import GraphError
from niaga.channels.whatsapp.models import AccountEvent
from niaga.community import groups
from niaga.community.models import CommunityGroup, GroupMember
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.errors import ConflictError
from niaga.core.i18n import gettext
from niaga.inbox.service import do_send_text_in_window

log = logging.getLogger(__name__)

EVENTS_HORIZON = timedelta(days=7)
PARTICIPANT_FIELDS = ("group_participants_update", "group_participant_update")


def check_can_request(session: Session, group: CommunityGroup) -> None:
    """Refuse a second request, or a group bigger than a WhatsApp group may be."""
    if group.wa_group_id or (group.wa_request_id and not group.wa_error):
        raise ConflictError(
            "group_has_whatsapp", "{name} already has a WhatsApp group.", name=group.name
        )
    members = groups.member_count(session, group.id)
    if members > groups.WHATSAPP_GROUP_LIMIT:
        raise ConflictError(
            "group_too_big",
            "A WhatsApp group holds at most {limit} people; {name} has {members}.",
            limit=groups.WHATSAPP_GROUP_LIMIT,
            name=group.name,
            members=members,
        )


async def request_group(
    channel: Any, session: Session, phone_number_id: str, group: CommunityGroup
) -> str | None:
    """Ask Meta for the group's WhatsApp group; Meta's refusal in words, or None (the group's
    id arrives by webhook). Changes ``group`` in the caller's transaction."""
    check_can_request(session, group)
    try:
        group.wa_request_id = await channel.create_group(
            phone_number_id, group.name, group.description
        )
        group.wa_error = None
    except GraphError as exc:
        group.wa_request_id, group.wa_error = None, f"({exc.code}) {exc}"[:1000]
    session.flush()
    return group.wa_error


def do_request_now(settings: Settings, session: Session, group: CommunityGroup) -> str | None:
    """:func:`request_group` through a channel made for the call (a page or an API request)."""

    async def ask() -> str | None:
        async with make_channel(settings) as channel:
            return await request_group(channel, session, settings.wa_phone_number_id, group)

    return asyncio.run(ask())


def settle_events(session: Session) -> int:
    """Apply Meta's group webhooks of the last days: the id of a requested group, members who
    joined by the link. Idempotent (the same event applied twice changes nothing)."""
    since = clock.now() - EVENTS_HORIZON
    changed = 0
    pending = {
        g.wa_request_id: g
        for g in session.scalars(
            select(CommunityGroup).where(
                CommunityGroup.wa_request_id.is_not(None), CommunityGroup.wa_group_id.is_(None)
            )
        )
    }
    events = session.scalars(
        select(AccountEvent)
        .where(
            AccountEvent.field.in_(("group_lifecycle_update", *PARTICIPANT_FIELDS)),
            AccountEvent.received_at >= since,
        )
        .order_by(AccountEvent.id)
    )
    for event in events:
        for item in (event.payload or {}).get("groups") or []:
            if not isinstance(item, dict):
                continue
            if event.field == "group_lifecycle_update" and item.get("type") == "group_create":
                group = pending.pop(str(item.get("request_id")), None)
                if group is not None and item.get("group_id"):
                    group.wa_group_id = str(item["group_id"])
                    group.mode = "whatsapp"
                    changed += 1
            elif event.field in PARTICIPANT_FIELDS:
                changed += _joined(session, str(item.get("group_id")), item)
    session.flush()
    return changed


def _joined(session: Session, wa_group_id: str, item: dict[str, Any]) -> int:
    group = session.scalars(
        select(CommunityGroup).where(CommunityGroup.wa_group_id == wa_group_id)
    ).first()
    if group is None:
        return 0
    wa_ids = [str(p.get("wa_id")) for p in item.get("added_participants") or [] if p]
    if not wa_ids:
        return 0
    rows = session.scalars(
        select(GroupMember)
        .join(Contact, Contact.id == GroupMember.contact_id)
        .where(
            GroupMember.group_id == group.id,
            Contact.wa_id.in_(wa_ids),
            GroupMember.wa_joined_at.is_(None),
        )
    ).all()
    for row in rows:
        row.wa_joined_at = clock.now()
    return len(rows)


def invite_text(group: CommunityGroup, contact: Contact, locale: str) -> str:
    return gettext(
        "Hi {name}, join the WhatsApp group {group}: {link}",
        locale,
        name=contact.name,
        group=group.name,
        link=group.invite_link,
    )


def do_send_invites(session: Session, locale: str) -> int:
    """Send the invite link to members not yet invited whose window is open; how many."""
    sent = 0
    rows = session.execute(
        select(GroupMember, CommunityGroup, Contact)
        .join(CommunityGroup, CommunityGroup.id == GroupMember.group_id)
        .join(Contact, Contact.id == GroupMember.contact_id)
        .where(
            CommunityGroup.invite_link.is_not(None),
            GroupMember.left_at.is_(None),
            GroupMember.invited_at.is_(None),
        )
        .limit(500)
    ).all()
    for member, group, contact in rows:
        # Closed window: asked again next round (the customer may write).
        if do_send_text_in_window(
            session,
            contact.id,
            invite_text(group, contact, locale),
            idempotency_key=f"group-{group.id}-invite-{contact.id}",
        ):
            member.invited_at = clock.now()
            sent += 1
    session.flush()
    return sent


async def tick(channel: Any, factory: sessionmaker[Session], locale: str) -> None:
    """One round: webhooks applied, invite links made, invitations sent, leavers removed."""
    with transaction(factory) as session:
        settle_events(session)
        linkless = [
            (g.id, g.wa_group_id)
            for g in session.scalars(
                select(CommunityGroup).where(
                    CommunityGroup.wa_group_id.is_not(None), CommunityGroup.invite_link.is_(None)
                )
            )
        ]
        leavers = [
            (m.id, g.wa_group_id, c.wa_id)
            for m, g, c in session.execute(
                select(GroupMember, CommunityGroup, Contact)
                .join(CommunityGroup, CommunityGroup.id == GroupMember.group_id)
                .join(Contact, Contact.id == GroupMember.contact_id)
                .where(
                    CommunityGroup.wa_group_id.is_not(None),
                    GroupMember.left_at.is_not(None),
                    GroupMember.wa_joined_at.is_not(None),
                    GroupMember.wa_removed_at.is_(None),
                    Contact.wa_id.is_not(None),
                )
            )
        ]
    for group_id, wa_group_id in linkless:
        try:
            link = await channel.group_invite_link(wa_group_id)
        except GraphError as exc:
            log.warning("no invite link for group %s: %s", group_id, exc)
            continue
        with transaction(factory) as session:
            session.get_one(CommunityGroup, group_id).invite_link = link
    for member_id, wa_group_id, wa_id in leavers:
        try:
            await channel.remove_group_participants(wa_group_id, [wa_id])
        except GraphError as exc:
            log.warning("could not take %s out of group %s: %s", wa_id, wa_group_id, exc)
            continue
        with transaction(factory) as session:
            session.get_one(GroupMember, member_id).wa_removed_at = clock.now()
    with transaction(factory) as session:
        do_send_invites(session, locale)
