"""``/api/v1/community``: customer groups and their members, polls with live tallies; and the
content calendar (``/api/v1/community/calendar``): what goes out when, by kind."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select

from niaga.campaigns.models import Campaign
from niaga.community import groups, polls, whatsapp
from niaga.community.models import CommunityGroup, GroupMember, Poll
from niaga.contacts.models import Contact
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.i18n import gettext
from niaga.templates import service as templates
from niaga.templates import sync as template_sync
from niaga.web.deps import CanRead, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import CanManage, settings_of

router = APIRouter(prefix="/api/v1", tags=["community"], responses=PROBLEM_RESPONSES)


class GroupPublic(BaseModel):
    id: int
    name: str
    description: str | None
    join_rule: dict[str, Any]
    welcome_text: str | None
    mode: str
    mode_text: str = Field(description="How the group reaches its members, in words")
    members: int
    wa_group_id: str | None = Field(description="Its WhatsApp group (Meta's Groups API)")
    invite_link: str | None
    wa_error: str | None = Field(description="Why Meta refused a WhatsApp group")


class MemberPublic(BaseModel):
    contact_id: int
    name: str
    source: str
    joined_at: datetime


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int


class PollPublic(BaseModel):
    id: int
    question: str
    options: list[str]
    template_name: str
    template_status: str
    share_results: bool
    closes_at: datetime | None
    closed_at: datetime | None
    tally: list[dict[str, Any]]
    votes: int


class CalendarEntry(BaseModel):
    campaign_id: int
    name: str
    kind: str
    status: str
    at: datetime | None = Field(description="Scheduled, started or created")
    poll_id: int | None


def _group(session: SessionDep, group: CommunityGroup, locale: str) -> GroupPublic:
    count = groups.member_count(session, group.id)
    return GroupPublic(
        id=group.id,
        name=group.name,
        description=group.description,
        join_rule=group.join_rule or {},
        welcome_text=group.welcome_text,
        mode=group.mode,
        mode_text=gettext(groups.mode_text(group, count), locale),
        members=count,
        wa_group_id=group.wa_group_id,
        invite_link=group.invite_link,
        wa_error=group.wa_error,
    )


def _poll(session: SessionDep, poll: Poll) -> PollPublic:
    counts = polls.tally(session, poll)
    found = templates.find(session, poll.template_name, polls.LANGUAGE)
    return PollPublic(
        id=poll.id,
        question=poll.question,
        options=poll.options,
        template_name=poll.template_name,
        template_status=found.status if found is not None else "NOT_SUBMITTED",
        share_results=poll.share_results,
        closes_at=poll.closes_at,
        closed_at=poll.closed_at,
        tally=[{"option": text, "votes": n} for text, n in counts],
        votes=sum(n for _, n in counts),
    )


@router.get("/community/groups", response_model=list[GroupPublic])
def list_groups(session: SessionDep, token: CanRead, locale: LocaleDep) -> list[GroupPublic]:
    rows = session.scalars(select(CommunityGroup).order_by(CommunityGroup.id))
    return [_group(session, g, locale) for g in rows]


@router.post("/community/groups", response_model=GroupPublic, status_code=201)
def create_group(
    data: groups.GroupIn, session: SessionDep, token: CanManage, locale: LocaleDep
) -> GroupPublic:
    return _group(session, groups.do_save(session, data), locale)


@router.put("/community/groups/{group_id}", response_model=GroupPublic)
def update_group(
    group_id: int, data: groups.GroupIn, session: SessionDep, token: CanManage, locale: LocaleDep
) -> GroupPublic:
    return _group(session, groups.do_save(session, data, groups.get(session, group_id)), locale)


@router.post("/community/groups/{group_id}/whatsapp", response_model=GroupPublic)
def request_whatsapp_group(
    group_id: int, request: Request, session: SessionDep, token: CanManage, locale: LocaleDep
) -> GroupPublic:
    """Ask Meta for a real WhatsApp group (at most 8 members; an Official Business Account).
    Meta names it by webhook; members then get its invite link in their chat. A refusal is
    kept in ``wa_error`` and the group stays a broadcast group."""
    group = groups.get(session, group_id)
    whatsapp.do_request_now(settings_of(request), session, group)
    return _group(session, group, locale)


@router.get("/community/groups/{group_id}/members", response_model=list[MemberPublic])
def list_members(
    group_id: int,
    session: SessionDep,
    token: CanRead,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[MemberPublic]:
    groups.get(session, group_id)
    rows = session.execute(
        select(GroupMember, Contact)
        .join(Contact, Contact.id == GroupMember.contact_id)
        .where(GroupMember.group_id == group_id, GroupMember.left_at.is_(None))
        .order_by(GroupMember.joined_at.desc(), GroupMember.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        MemberPublic(contact_id=c.id, name=c.name, source=m.source, joined_at=m.joined_at)
        for m, c in rows
    ]


@router.post("/community/groups/{group_id}/members", status_code=201)
def add_member(
    group_id: int, data: MemberIn, session: SessionDep, token: CanManage
) -> dict[str, bool]:
    if session.get(Contact, data.contact_id) is None:
        raise NotFoundError("contact_not_found", "Contact {id} does not exist.", id=data.contact_id)
    joined = groups.do_join(session, groups.get(session, group_id), data.contact_id, source="hand")
    return {"joined": joined}


@router.delete("/community/groups/{group_id}/members/{contact_id}")
def remove_member(
    group_id: int, contact_id: int, session: SessionDep, token: CanManage
) -> dict[str, bool]:
    return {"left": groups.do_leave(session, groups.get(session, group_id), contact_id)}


@router.get("/community/polls", response_model=list[PollPublic])
def list_polls(session: SessionDep, token: CanRead) -> list[PollPublic]:
    return [_poll(session, p) for p in session.scalars(select(Poll).order_by(Poll.id.desc()))]


@router.post("/community/polls", response_model=PollPublic, status_code=201)
def create_poll(data: polls.PollIn, session: SessionDep, token: CanManage) -> PollPublic:
    """A poll; then submit its template (``/submit``) and send it as a campaign of kind poll."""
    return _poll(session, polls.do_create(session, data))


@router.get("/community/polls/{poll_id}", response_model=PollPublic)
def read_poll(poll_id: int, session: SessionDep, token: CanRead) -> PollPublic:
    """The poll with its live tally."""
    return _poll(session, polls.get(session, poll_id))


@router.post("/community/polls/{poll_id}/submit", response_model=PollPublic)
def submit_poll(
    poll_id: int, request: Request, session: SessionDep, token: CanManage
) -> PollPublic:
    """Submit the poll's template (question + a quick-reply button per answer) to Meta."""
    poll = polls.get(session, poll_id)
    template_sync.raise_if_refused(polls.do_submit(session, settings_of(request), poll))
    return _poll(session, poll)


@router.post("/community/polls/{poll_id}/close", response_model=PollPublic)
def close_poll(poll_id: int, request: Request, session: SessionDep, token: CanManage) -> PollPublic:
    """Close it now (late taps no longer count); voters hear the result if the poll says so."""
    poll = polls.get(session, poll_id)
    polls.do_close(session, poll, settings_of(request).locale)
    return _poll(session, poll)


@router.get("/community/calendar", response_model=list[CalendarEntry])
def calendar(
    request: Request,
    session: SessionDep,
    token: CanRead,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> list[CalendarEntry]:
    """The content calendar: every campaign of a month (local time), by when it goes out."""
    return [
        CalendarEntry(
            campaign_id=c.id,
            name=c.name,
            kind=c.kind,
            status=c.status,
            at=c.scheduled_at or c.started_at or c.created_at,
            poll_id=c.poll_id,
        )
        for c in month_campaigns(session, month, settings_of(request).timezone)
    ]


def month_bounds(month: str | None, timezone: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's (local time); a bad month is refused."""
    zone = ZoneInfo(timezone)
    today = datetime.now(zone).date()
    try:
        first = date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
        if first.year >= 9999:
            raise ValueError(month)
    except ValueError:
        raise DomainError("month_invalid", "Give the month as YYYY-MM.", field="month") from None
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(), zone), datetime.combine(following, time(), zone)


def month_campaigns(session: SessionDep, month: str | None, timezone: str) -> list[Campaign]:
    start, end = month_bounds(month, timezone)
    when = Campaign.scheduled_at
    return list(
        session.scalars(
            select(Campaign)
            .where(
                or_(
                    and_(when.is_not(None), when >= start, when < end),
                    and_(
                        when.is_(None),
                        Campaign.created_at >= start,
                        Campaign.created_at < end,
                    ),
                )
            )
            .order_by(Campaign.scheduled_at, Campaign.created_at)
        )
    )
