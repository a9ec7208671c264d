"""A person's own account: password, second factor, remembered devices and sessions; the
owner's security policy; an owner resetting a colleague's second factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from niaga.core.errors import DomainError, PermissionDeniedError
from niaga.core.i18n import gettext
from niaga.security import permissions, policy, sessions, two_factor, users
from niaga.security.models import User
from niaga.web.auth import UserDep, require, set_session_cookie, totp_issuer
from niaga.web.deps import SessionDep, client_ip
from niaga.web.forms import back_to
from niaga.web.qr import qr_data_uri
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)
CanManageUsers = Annotated[User, Depends(require("manage_users"))]
CanManageSecurity = Annotated[User, Depends(require("manage_security"))]


def _account(
    request: Request,
    session: Session,
    user: User,
    *,
    enrol: tuple[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
    return render(
        request,
        "account_security.html",
        status_code=status_code,
        enabled=two_factor.is_enabled(user),
        codes_left=two_factor.remaining_codes(session, user),
        required=policy.load(session).needs_2fa(user),
        enrol_secret=enrol[0] if enrol else None,
        enrol_qr=qr_data_uri(enrol[1]) if enrol else None,
        devices=two_factor.devices(session, user.id),
        web_sessions=sessions.live_sessions(session, user.id),
        this_session=current[0].id if current else None,
        min_length=users.MIN_PASSWORD_LENGTH,
        error=error,
        flash=request.query_params.get("flash"),
    )


@router.get("/me/security", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The signed-in person's own security: password, second factor, devices, sessions."""
    return _account(request, session, user)


@router.post("/me/password")
def change_password(
    request: Request,
    session: SessionDep,
    user: UserDep,
    current_password: Annotated[str, Form(max_length=300)],
    password: Annotated[str, Form(max_length=300)],
    password2: Annotated[str, Form(max_length=300)],
) -> Response:
    """A new password; every other session ends, this browser gets a fresh one."""
    locale = request.state.locale
    if password != password2:
        return _account(
            request,
            session,
            user,
            error=gettext("The two passwords differ.", locale),
            status_code=422,
        )
    try:
        users.do_change_password(session, user, current_password, password)
    except DomainError as exc:
        return _account(request, session, user, error=exc.message(locale), status_code=422)
    _, secret = sessions.do_start_session(
        session, user, user_agent=request.headers.get("user-agent"), ip=client_ip(request)
    )
    response = back_to("/me/security", gettext("Password changed.", locale))
    set_session_cookie(response, request, secret)
    return response


@router.post("/me/2fa/start", response_class=HTMLResponse)
def start_two_factor(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """A new secret to scan; the factor is on once the first code is confirmed."""
    enrol = two_factor.do_begin(session, user, totp_issuer(request))
    return _account(request, session, user, enrol=enrol)


@router.post("/me/2fa/confirm", response_class=HTMLResponse)
def confirm_two_factor(
    request: Request, session: SessionDep, user: UserDep, code: Annotated[str, Form(max_length=40)]
) -> HTMLResponse:
    try:
        codes = two_factor.do_confirm(session, user, code)
    except two_factor.TwoFactorError as exc:
        enrol = two_factor.pending(user, totp_issuer(request))
        return _account(
            request,
            session,
            user,
            enrol=enrol,
            error=exc.message(request.state.locale),
            status_code=422,
        )
    return render(request, "two_factor_codes.html", codes=codes, next="/me/security", first=True)


@router.post("/me/2fa/recovery-codes", response_class=HTMLResponse)
def new_recovery_codes(
    request: Request,
    session: SessionDep,
    user: UserDep,
    current_password: Annotated[str, Form(max_length=300)],
) -> HTMLResponse:
    """Fresh recovery codes (the old ones stop working); asks for the password again."""
    try:
        users.check_current_password(user, current_password)
        codes = two_factor.do_new_recovery_codes(session, user)
    except DomainError as exc:
        return _account(
            request, session, user, error=exc.message(request.state.locale), status_code=422
        )
    return render(request, "two_factor_codes.html", codes=codes, next="/me/security", first=False)


@router.post("/me/2fa/disable")
def disable_two_factor(
    request: Request,
    session: SessionDep,
    user: UserDep,
    current_password: Annotated[str, Form(max_length=300)],
) -> Response:
    """Turn the factor off (not while the owner requires it for this role)."""
    locale = request.state.locale
    try:
        users.check_current_password(user, current_password)
        if policy.load(session).needs_2fa(user):
            raise PermissionDeniedError(
                "2fa_required", "The owner requires a second factor for your role."
            )
    except DomainError as exc:
        return _account(request, session, user, error=exc.message(locale), status_code=422)
    two_factor.do_disable(session, user)
    return back_to("/me/security", gettext("The second factor is off.", locale))


@router.post("/me/devices/{device_id}/forget")
def forget_device(session: SessionDep, user: UserDep, device_id: int) -> Response:
    """Ask for the code again on that device."""
    if device_id < 2**62:
        two_factor.do_forget_device(session, user.id, device_id)
    return RedirectResponse("/me/security", status_code=303)


@router.post("/me/sessions/{session_id}/end")
def end_session(session: SessionDep, user: UserDep, session_id: int) -> Response:
    """Sign out one of this person's other browsers."""
    if session_id < 2**62:
        sessions.do_end_session_by_id(session, user.id, session_id)
    return RedirectResponse("/me/security", status_code=303)


@router.post("/me/sessions/end-others")
def end_other_sessions(request: Request, session: SessionDep, user: UserDep) -> Response:
    """Sign out everywhere except here."""
    current = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
    sessions.do_end_other_sessions(session, user.id, current[0].id if current else None)
    return back_to(
        "/me/security", gettext("Signed out on every other device.", request.state.locale)
    )


# ---------------------------------------------------------------- the owner's policy


@router.get("/settings/security", response_class=HTMLResponse)
def policy_page(request: Request, session: SessionDep, user: CanManageSecurity) -> HTMLResponse:
    """Who needs a second factor, remembered devices, timeouts, devices per person."""
    people = list(session.query(User).filter(User.is_active).order_by(User.name))
    return render(
        request,
        "settings_security.html",
        policy=policy.load(session),
        people=people,
        live=sessions.live_counts(session),
        permissions=permissions.PERMISSIONS,
        granted={p.id: permissions.of_user(p) for p in people},
        flash=request.query_params.get("flash"),
    )


@router.post("/settings/security")
def save_policy(
    request: Request,
    session: SessionDep,
    user: CanManageSecurity,
    require_2fa: Annotated[str, Form(max_length=16)],
    remember_days: Annotated[int, Form(ge=0, le=90)],
    idle_minutes: Annotated[int, Form(ge=5, le=30 * 24 * 60)],
    absolute_hours: Annotated[int, Form(ge=1, le=90 * 24)],
    max_devices: Annotated[str, Form(max_length=3)] = "",
    guard_outgoing: Annotated[str, Form(max_length=8)] = "warn",
    guard_allowed: Annotated[str, Form(max_length=500)] = "",
    guard_mask_inbound: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    policy.do_save(
        session,
        require_2fa=require_2fa,
        remember_days=remember_days,
        idle_minutes=idle_minutes,
        absolute_hours=absolute_hours,
        max_devices=int(max_devices) if max_devices.strip().isdigit() else None,
        guard_outgoing=guard_outgoing,
        guard_mask_inbound=guard_mask_inbound == "on",
        guard_allowed=[a for a in guard_allowed.replace(";", ",").split(",") if a.strip()],
    )
    return back_to("/settings/security", gettext("Saved.", request.state.locale))


@router.post("/settings/users/{user_id}/permissions")
def set_permissions(
    request: Request,
    session: SessionDep,
    user: CanManageSecurity,
    user_id: int,
    granted: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Exactly the ticked permissions for this person (owners keep them all)."""
    target = session.get(User, user_id) if user_id < 2**62 else None
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    chosen = set(granted or [])
    permissions.do_set(session, target, {p: p in chosen for p in permissions.PERMISSIONS})
    return back_to("/settings/security", gettext("Saved.", request.state.locale))


@router.post("/settings/users/{user_id}/reset-2fa")
def reset_two_factor(
    request: Request, session: SessionDep, user: CanManageUsers, user_id: int
) -> Response:
    """A colleague lost their phone: their second factor is off and they are signed out; at
    the next sign-in they set it up again when the policy requires it."""
    target = session.get(User, user_id) if user_id < 2**62 else None
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if target.role == "owner" and user.role != "owner":
        raise PermissionDeniedError("owner_only", "Only an owner may change an owner.")
    two_factor.do_disable(session, target)
    sessions.do_end_all_sessions(session, target.id)
    return back_to("/settings/security", gettext("Saved.", request.state.locale))


@router.post("/settings/users/{user_id}/end-sessions")
def end_user_sessions(
    request: Request, session: SessionDep, user: CanManageUsers, user_id: int
) -> Response:
    """Sign a colleague out on every device (a lost phone, a shared computer)."""
    target = session.get(User, user_id) if user_id < 2**62 else None
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if target.role == "owner" and user.role != "owner":
        raise PermissionDeniedError("owner_only", "Only an owner may change an owner.")
    sessions.do_end_all_sessions(session, target.id)
    return back_to("/settings/security", gettext("Saved.", request.state.locale))
