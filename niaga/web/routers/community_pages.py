"""The community in the browser (*Komunitas*): customer groups with their join rules, how they
reach members and who is in them; polls with live tallies; the content calendar of a month."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import or_, select

from niaga.campaigns import segments
from niaga.campaigns import service as campaigns
from niaga.community import groups, polls, whatsapp
from niaga.community.models import CommunityGroup, GroupMember, Poll
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.errors import ConflictError, DomainError
from niaga.core.i18n import gettext
from niaga.core.phone import to_e164
from niaga.loyalty import program
from niaga.security import permissions
from niaga.templates import service as templates
from niaga.web.auth import CanManageLoyalty
from niaga.web.deps import SessionDep
from niaga.web.forms import back_to, problems
from niaga.web.routers.community_api import month_bounds, month_campaigns
from niaga.web.templating import render

router = APIRouter(prefix="/community", include_in_schema=False)
PAGE = "/community"
KINDS = {
    "broadcast": "Promotion",
    "tip": "Tip",
    "tutorial": "Tutorial",
    "news": "Product news",
    "poll": "Poll",
}


def _back(anchor: str, flash: str | None = None) -> RedirectResponse:
    return back_to(PAGE, flash, anchor=anchor)


def _calendar(session: Any, month: str | None, timezone: str) -> dict[str, Any]:
    start, end = month_bounds(month, timezone)
    zone = ZoneInfo(timezone)
    days: dict[date, list[Any]] = {}
    for campaign in month_campaigns(session, month, timezone):
        at = campaign.scheduled_at or campaign.created_at
        days.setdefault(clock.as_utc(at).astimezone(zone).date(), []).append(campaign)
    first = start.date()
    weeks, day = [], first - timedelta(days=first.weekday())
    while day < end.date():
        weeks.append(
            [
                (d, d.month == first.month, days.get(d, []))
                for d in (day + timedelta(days=i) for i in range(7))
            ]
        )
        day += timedelta(days=7)
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    return {"weeks": weeks, "month": first, "previous": previous, "next": end.strftime("%Y-%m")}


@router.get("", response_class=HTMLResponse)
def community_page(
    request: Request, session: SessionDep, user: CanManageLoyalty, month: str | None = None
) -> HTMLResponse:
    timezone = request.app.state.settings.timezone
    if month is not None and not (
        len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()
    ):
        month = None
    all_groups = list(session.scalars(select(CommunityGroup).order_by(CommunityGroup.id)))
    counts = {g.id: groups.member_count(session, g.id) for g in all_groups}
    members = {
        g.id: list(
            session.execute(
                select(GroupMember, Contact)
                .join(Contact, Contact.id == GroupMember.contact_id)
                .where(GroupMember.group_id == g.id, GroupMember.left_at.is_(None))
                .order_by(GroupMember.joined_at.desc())
                .limit(50)
            )
        )
        for g in all_groups
    }
    all_polls = list(session.scalars(select(Poll).order_by(Poll.id.desc()).limit(20)))
    return render(
        request,
        "community.html",
        groups=all_groups,
        counts=counts,
        members=members,
        mode_texts={g.id: groups.mode_text(g, counts[g.id]) for g in all_groups},
        tiers=[t.name for t in program.load(session).tiers],
        polls=[
            (
                p,
                polls.tally(session, p),
                (templates.find(session, p.template_name, polls.LANGUAGE) or None),
            )
            for p in all_polls
        ],
        calendar=_calendar(session, month, timezone),
        kinds=KINDS,
        flash=request.query_params.get("flash"),
    )


@router.post("/groups/loyal")
def make_loyal_group(session: SessionDep, user: CanManageLoyalty) -> Response:
    """The "Pelanggan Setia" group now (the worker makes it within a minute anyway)."""
    group = groups.ensure_loyal(session)
    return _back(f"group-{group.id}")


@router.post("/groups/{group_id}")
def save_group(
    session: SessionDep,
    user: CanManageLoyalty,
    group_id: int,
    name: Annotated[str, Form(max_length=100)],
    description: Annotated[str, Form(max_length=2000)] = "",
    welcome_text: Annotated[str, Form(max_length=1024)] = "",
    min_orders: Annotated[str, Form(max_length=6)] = "",
    tier: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        data = groups.GroupIn(
            name=name,
            description=description.strip() or None,
            welcome_text=welcome_text.strip() or None,
            join_rule=groups.JoinRule(
                min_orders=int(min_orders) if min_orders.strip().isdigit() else None,
                tier=tier.strip() or None,
            ),
        )
    except ValidationError as exc:
        return _back(f"group-{group_id}", problems(exc))
    groups.do_save(session, data, groups.get(session, group_id) if group_id else None)
    return _back(f"group-{group_id}")


@router.post("/groups/{group_id}/whatsapp")
def request_whatsapp_group(
    request: Request, session: SessionDep, user: CanManageLoyalty, group_id: int
) -> Response:
    """Ask Meta for a real WhatsApp group for a group of at most 8."""
    group = groups.get(session, group_id)
    refused = whatsapp.do_request_now(request.app.state.settings, session, group)
    return _back(f"group-{group_id}", refused)


@router.post("/groups/{group_id}/members")
def add_member(
    request: Request,
    session: SessionDep,
    user: CanManageLoyalty,
    group_id: int,
    phone: Annotated[str, Form(max_length=40)],
) -> Response:
    group = groups.get(session, group_id)
    locale = request.state.locale
    try:
        e164 = to_e164(phone)
    except DomainError as exc:
        return _back(f"group-{group_id}", exc.message(locale))
    contact = session.scalars(
        select(Contact).where(or_(Contact.phone == e164, Contact.wa_id == e164.lstrip("+")))
    ).first()
    if contact is None:
        return _back(
            f"group-{group_id}",
            gettext("No customer with the number {phone} has written yet.", locale, phone=e164),
        )
    groups.do_join(session, group, contact.id, source="hand")
    return _back(f"group-{group_id}")


@router.post("/groups/{group_id}/members/{contact_id}/remove")
def remove_member(
    session: SessionDep, user: CanManageLoyalty, group_id: int, contact_id: int
) -> Response:
    groups.do_leave(session, groups.get(session, group_id), contact_id)
    return _back(f"group-{group_id}")


@router.post("/polls")
def create_poll(
    session: SessionDep,
    user: CanManageLoyalty,
    question: Annotated[str, Form(max_length=1000)],
    options: Annotated[str, Form(max_length=400)],
    share_results: Annotated[bool, Form()] = False,
    closes_at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        data = polls.PollIn(
            question=question,
            options=[o for o in (line.strip() for line in options.splitlines()) if o],
            share_results=share_results,
            closes_at=datetime.fromisoformat(closes_at).astimezone() if closes_at else None,
        )
    except (ValidationError, ValueError) as exc:
        text = problems(exc) if isinstance(exc, ValidationError) else str(exc)
        return _back("polls", text)
    poll = polls.do_create(session, data)
    return _back(f"poll-{poll.id}")


@router.post("/polls/{poll_id}/submit")
def submit_poll(
    request: Request, session: SessionDep, user: CanManageLoyalty, poll_id: int
) -> Response:
    poll = polls.get(session, poll_id)
    try:
        result = polls.do_submit(session, request.app.state.settings, poll)
    except ConflictError:
        return _back(f"poll-{poll_id}")  # already submitted: Meta's answer is on its way
    if result.refused:
        return _back(f"poll-{poll_id}", f"{result.refused}: {result.reason or ''}")
    return _back(f"poll-{poll_id}")


@router.post("/polls/{poll_id}/close")
def close_poll(
    request: Request, session: SessionDep, user: CanManageLoyalty, poll_id: int
) -> Response:
    poll = polls.get(session, poll_id)
    if poll.closed_at is None:
        polls.do_close(session, poll, request.state.locale)
    return _back(f"poll-{poll_id}")


@router.post("/polls/{poll_id}/send")
def send_poll(
    request: Request,
    session: SessionDep,
    user: CanManageLoyalty,
    poll_id: int,
    group_id: Annotated[int, Form()],
    at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Send the poll to a group as a campaign of kind poll (consent, caps and quiet hours of
    campaigns apply), now or at ``at`` (local time)."""
    locale = request.state.locale
    if not permissions.has(user, "send_campaigns"):
        return _back(f"poll-{poll_id}", gettext("You may not send campaigns.", locale))
    poll = polls.get(session, poll_id)
    template = templates.find(session, poll.template_name, polls.LANGUAGE)
    if template is None or template.status != "APPROVED":
        return _back(
            f"poll-{poll_id}",
            gettext("The poll's template is not approved by Meta yet.", locale),
        )
    group = groups.get(session, group_id)
    settings = request.app.state.settings
    when = None
    if at:
        try:
            when = datetime.fromisoformat(at).replace(tzinfo=ZoneInfo(settings.timezone))
        except ValueError:
            return _back(f"poll-{poll_id}", gettext("Give the time as date and hour.", locale))
    campaign = campaigns.do_create(
        session,
        name=f"Polling: {poll.question[:80]}",
        template_id=template.id,
        params={},
        phone_number_id=settings.wa_phone_number_id,
        rule=segments.SegmentRule.model_validate(
            {"conditions": [{"field": "group", "group_id": group.id}]}
        ),
        user_id=user.id,
        kind="poll",
        poll_id=poll.id,
    )
    campaigns.do_schedule(session, campaign, when)
    return _back(
        f"poll-{poll_id}", gettext("The poll is on its way to {group}.", locale, group=group.name)
    )
