"""Team settings: people and invitations, teams, labels, quick replies, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from niaga.contacts.models import Label
from niaga.core import clock
from niaga.core.errors import PermissionDeniedError
from niaga.core.i18n import gettext
from niaga.inbox import quick_replies
from niaga.inbox.models import QuickReply
from niaga.security import invites, teams, tokens, users
from niaga.security.models import ROLES, ApiToken, Invite, Team, TeamMember, User
from niaga.web.auth import (
    CanManageLabels,
    CanManageQuickReplies,
    CanManageTeams,
    CanManageUsers,
    CanReadInbox,
    may,
)
from niaga.web.deps import SessionDep
from niaga.web.forms import back_to
from niaga.web.templating import render

router = APIRouter(prefix="/settings", include_in_schema=False)
COLOR = r"^#[0-9a-fA-F]{6}$"


@router.get("", response_class=HTMLResponse)
def settings_home(user: CanReadInbox) -> RedirectResponse:
    return RedirectResponse("/settings/quick-replies", status_code=303)


# ---------------------------------------------------------------------- people


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, user: CanManageUsers) -> HTMLResponse:
    people = list(session.scalars(select(User).order_by(User.is_active.desc(), User.name)))
    memberships: dict[int, list[str]] = {}
    for uid, name in session.execute(
        select(TeamMember.user_id, Team.name).join(Team, Team.id == TeamMember.team_id)
    ):
        memberships.setdefault(uid, []).append(name)
    open_invites = list(
        session.scalars(
            select(Invite)
            .where(Invite.accepted_at.is_(None), Invite.revoked_at.is_(None))
            .where(Invite.expires_at > clock.now())
            .order_by(Invite.created_at.desc())
        )
    )
    return render(
        request,
        "settings_users.html",
        people=people,
        memberships=memberships,
        invites=open_invites,
        roles=[r for r in ROLES if invites.may_grant(user.role, r)],
        all_teams=list(session.scalars(select(Team).order_by(Team.name))),
        invite_link=request.query_params.get("invite_link"),
        flash=request.query_params.get("flash"),
    )


@router.post("/users/invite")
def invite(
    request: Request,
    session: SessionDep,
    user: CanManageUsers,
    email: Annotated[str, Form()],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    team_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    _, secret = invites.do_invite(
        session, user, email=email, name=name, role=role, team_ids=team_ids or []
    )
    link = f"{request.app.state.settings.public_url.rstrip('/')}/invite/{secret}"
    from urllib.parse import quote

    return RedirectResponse(f"/settings/users?invite_link={quote(link)}", status_code=303)


@router.post("/users/{user_id}")
def update_user(
    request: Request,
    session: SessionDep,
    user: CanManageUsers,
    user_id: int,
    role: Annotated[str, Form()],
    active: Annotated[str, Form()] = "",
    capacity: Annotated[int, Form(ge=1, le=500)] = 20,
) -> Response:
    locale = request.state.locale
    target = session.get(User, user_id)
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if role not in ROLES:
        return back_to("/settings/users", gettext("Unknown role.", locale))
    if target.role == "owner" and user.role != "owner":
        return back_to("/settings/users", gettext("Only an owner may change an owner.", locale))
    if role != target.role and not invites.may_grant(user.role, role):
        return back_to("/settings/users", gettext("Your role may not grant that role.", locale))
    is_active = active == "on"
    if target.id == user.id and (not is_active or role != user.role):
        return back_to("/settings/users", gettext("You cannot demote or disable yourself.", locale))
    if (role != target.role or not is_active) and target.role == "owner":
        owners = session.scalars(
            select(User.id).where(User.role == "owner", User.is_active, User.id != target.id)
        ).first()
        if owners is None:
            return back_to("/settings/users", gettext("Niaga needs at least one owner.", locale))
    users.do_set_access(session, target, role=role, is_active=is_active, capacity=capacity)
    return back_to("/settings/users", gettext("Saved.", locale))


@router.post("/invites/{invite_id}/revoke")
def revoke_invite(session: SessionDep, user: CanManageUsers, invite_id: int) -> Response:
    row = session.get(Invite, invite_id)
    if row is not None:
        invites.do_revoke_invite(session, row)
    return back_to("/settings/users")


# ---------------------------------------------------------------------- teams


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, session: SessionDep, user: CanManageTeams) -> HTMLResponse:
    all_teams = list(session.scalars(select(Team).order_by(Team.name)))
    members: dict[int, set[int]] = {}
    for team_id, uid in session.execute(select(TeamMember.team_id, TeamMember.user_id)):
        members.setdefault(team_id, set()).add(uid)
    people = list(session.scalars(select(User).where(User.is_active).order_by(User.name)))
    return render(
        request,
        "settings_teams.html",
        teams=all_teams,
        members=members,
        people=people,
        flash=request.query_params.get("flash"),
    )


@router.post("/teams")
def create_team(
    session: SessionDep,
    user: CanManageTeams,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    teams.do_create_team(session, name, description or None)
    return back_to("/settings/teams")


@router.post("/teams/{team_id}/members")
def set_members(
    session: SessionDep,
    user: CanManageTeams,
    team_id: int,
    user_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    team = session.get(Team, team_id)
    if team is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    teams.do_set_members(session, team, user_ids or [])
    return back_to("/settings/teams")


# ---------------------------------------------------------------------- labels


@router.get("/labels", response_class=HTMLResponse)
def labels_page(request: Request, session: SessionDep, user: CanManageLabels) -> HTMLResponse:
    labels = list(session.scalars(select(Label).order_by(Label.name)))
    return render(
        request, "settings_labels.html", labels=labels, flash=request.query_params.get("flash")
    )


@router.post("/labels")
def save_label(
    request: Request,
    session: SessionDep,
    user: CanManageLabels,
    name: Annotated[str, Form(max_length=100)],
    color: Annotated[str, Form(pattern=COLOR)] = "#6b7280",
    description: Annotated[str, Form(max_length=500)] = "",
    label_id: Annotated[int | None, Form()] = None,
) -> Response:
    name = " ".join(name.split())
    if not name:
        return back_to("/settings/labels", gettext("A label needs a name.", request.state.locale))
    clash = session.scalars(select(Label).where(Label.name == name)).first()
    label = session.get(Label, label_id) if label_id else None
    if clash is not None and clash is not label:
        return back_to(
            "/settings/labels", gettext("That label exists already.", request.state.locale)
        )
    if label is None:
        label = Label(name=name)
        session.add(label)
    label.name, label.color, label.description = name, color, description or None
    return back_to("/settings/labels")


@router.post("/labels/{label_id}/delete")
def delete_label(session: SessionDep, user: CanManageLabels, label_id: int) -> Response:
    label = session.get(Label, label_id)
    if label is not None:
        session.delete(label)
    return back_to("/settings/labels")


# ---------------------------------------------------------------------- quick replies


@router.get("/quick-replies", response_class=HTMLResponse)
def quick_replies_page(request: Request, session: SessionDep, user: CanReadInbox) -> HTMLResponse:
    items = list(session.scalars(select(QuickReply).order_by(QuickReply.shortcut)))
    return render(
        request,
        "settings_quick_replies.html",
        items=items,
        can_edit=may(user, "manage_quick_replies"),
        flash=request.query_params.get("flash"),
    )


@router.post("/quick-replies")
def save_quick_reply(
    session: SessionDep,
    user: CanManageQuickReplies,
    shortcut: Annotated[str, Form()],
    body: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    quick_reply_id: Annotated[int | None, Form()] = None,
) -> Response:
    existing = session.get(QuickReply, quick_reply_id) if quick_reply_id else None
    quick_replies.do_save_quick_reply(
        session,
        shortcut=shortcut,
        body=body,
        title=title or None,
        user_id=user.id,
        quick_reply=existing,
    )
    return back_to("/settings/quick-replies")


@router.post("/quick-replies/{quick_reply_id}/delete")
def delete_quick_reply(
    session: SessionDep, user: CanManageQuickReplies, quick_reply_id: int
) -> Response:
    row = session.get(QuickReply, quick_reply_id)
    if row is not None:
        session.delete(row)
    return back_to("/settings/quick-replies")


# ---------------------------------------------------------------------- API tokens


def _tokens_page(
    request: Request, session: SessionDep, user: User, new_token: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "settings_tokens.html",
        tokens=tokens.list_tokens(session),
        now=clock.now(),
        roles=[r for r in ROLES if invites.may_grant(user.role, r)],
        new_token=new_token,
        flash=request.query_params.get("flash"),
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: SessionDep, user: CanManageUsers) -> HTMLResponse:
    """Every API token with its last use and expiry; create and revoke."""
    return _tokens_page(request, session, user)


@router.post("/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: CanManageUsers,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=16)],
    days: Annotated[int, Form(ge=1, le=tokens.MAX_DAYS)] = tokens.DEFAULT_DAYS,
) -> Response:
    """A new token, shown once on the page that answers (never put in a URL)."""
    if not invites.may_grant(user.role, role):
        raise PermissionDeniedError(
            "role_not_grantable",
            "A {actor} may not invite a {role}.",
            field="role",
            actor=user.role,
            role=role,
        )
    _, secret = tokens.do_create_token(session, name=name, role=role, user_id=user.id, days=days)
    return _tokens_page(request, session, user, new_token=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(session: SessionDep, user: CanManageUsers, token_id: int) -> Response:
    """Revoke a token at once."""
    row = session.get(ApiToken, token_id) if token_id < 2**63 else None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    tokens.do_revoke_token(session, row)
    return back_to("/settings/tokens")


# ---------------------------------------------------------------------- outgoing webhooks


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, session: SessionDep, user: CanManageUsers) -> HTMLResponse:
    """The delivery log of outgoing webhooks, and how receivers verify them."""
    from niaga.automation.models import AutomationRule
    from niaga.outgoing_webhooks import signing
    from niaga.outgoing_webhooks.service import list_deliveries

    deliveries = list_deliveries(session)
    rule_ids = {d.rule_id for d in deliveries if d.rule_id is not None}
    found = session.execute(
        select(AutomationRule.id, AutomationRule.name).where(AutomationRule.id.in_(rule_ids))
    )
    names = {rule_id: name for rule_id, name in found}
    return render(
        request,
        "settings_webhooks.html",
        deliveries=deliveries,
        rule_names=names,
        can_see_secret=user.role == "owner",
        secret=signing.webhook_secret(request.app.state.settings.secret_key),
    )
