"""Sign in, sign out, accept an invitation, choose the language."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.i18n import LOCALES, gettext
from niaga.core.tokens import tokens_equal
from niaga.security import audit, invites, policy, sessions, throttle, two_factor
from niaga.security.models import User
from niaga.security.users import MIN_PASSWORD_LENGTH, WeakPassword, check_password
from niaga.web.auth import (
    UserDep,
    cookie_secure,
    page_locale,
    set_session_cookie,
    totp_issuer,
    user_actor,
)
from niaga.web.deps import SessionDep, client_ip
from niaga.web.qr import qr_data_uri
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "niaga_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths may be redirected to after sign-in."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/inbox"


def _signed_in(request: Request, secret: str, target: str) -> RedirectResponse:
    """Redirect to ``target`` with the session cookie (HttpOnly, SameSite=Lax, Secure on https)."""
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, secret)
    return response


def _login_form(
    request: Request, error: str | None = None, email: str = "", status_code: int = 200
) -> HTMLResponse:
    request.state.locale = page_locale(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        error=error,
        email=email,
        login_csrf=token,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request)
    )
    return response


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    locale = page_locale(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not tokens_equal(csrf_token, expected):
        return _login_form(
            request,
            gettext("The form expired. Please try again.", locale),
            email,
            status_code=403,
        )
    ip = client_ip(request)
    wait = throttle.locked_for(session, email, ip)
    if wait is not None:
        throttle.record_attempt(session, email, ip, reason="locked")
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        response = _login_form(
            request,
            gettext(
                "Too many failed sign-ins. Try again in {minutes} minutes.",
                locale,
                minutes=minutes,
            ),
            email,
            status_code=429,
        )
        response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
        return response
    user = sessions.authenticate(session, email, password)
    if user is None:
        throttle.do_record_failure(session, email, ip)
        return _login_form(
            request, gettext("Wrong email or password.", locale), email, status_code=401
        )
    target = _safe_next(next)
    if two_factor.is_enabled(user) or policy.load(session).needs_2fa(user):
        device = (
            two_factor.remembered(session, user, request.cookies.get(two_factor.DEVICE_COOKIE))
            if two_factor.is_enabled(user)
            else None
        )
        if device is None:
            # The account's failures are forgiven only after the second factor: otherwise
            # a right password would reset the count of guessed codes.
            return _to_second_factor(request, user, target)
        device.last_used_at = clock.now()
    return _start(request, session, user, target)


def _to_second_factor(request: Request, user: User, target: str) -> RedirectResponse:
    """The password was right: on to the code (or to setting one up), for a few minutes."""
    response = RedirectResponse(f"/login/2fa?next={quote(target)}", status_code=303)
    response.set_cookie(
        sessions.CHALLENGE_COOKIE,
        sessions.challenge(user, request.app.state.settings.secret_key),
        max_age=int(sessions.CHALLENGE_TTL.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
    )
    return response


def _start(request: Request, session: Session, user: User, target: str) -> Response:
    """Both factors given: forget the failures, start a session, clear the sign-in cookies."""
    throttle.do_record_success(session, user.email)
    try:
        _, secret = sessions.do_start_session(
            session,
            user,
            user_agent=request.headers.get("user-agent"),
            ip=client_ip(request),
        )
    except sessions.DeviceLimit as exc:
        response = _login_form(request, exc.message(page_locale(request)), user.email, 409)
        response.delete_cookie(sessions.CHALLENGE_COOKIE)
        return response
    response = _signed_in(request, secret, target)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    response.delete_cookie(sessions.CHALLENGE_COOKIE)
    return response


def _challenged(request: Request, session: Session) -> User | None:
    return sessions.challenged_user(
        session,
        request.cookies.get(sessions.CHALLENGE_COOKIE),
        request.app.state.settings.secret_key,
    )


def _second_factor_form(
    request: Request,
    session: Session,
    user: User,
    *,
    enrol: tuple[str, str] | None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    request.state.locale = page_locale(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login_2fa.html",
        status_code=status_code,
        error=error,
        who=user.name,
        enrol_secret=enrol[0] if enrol else None,
        enrol_qr=qr_data_uri(enrol[1]) if enrol else None,
        login_csrf=token,
        next=_safe_next(request.query_params.get("next")),
        remember_days=policy.load(session).remember_days,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request)
    )
    return response


def _enrolment(request: Request, user: User) -> tuple[str, str]:
    """The secret a person not yet enrolled scans (made once, in a short write)."""
    with transaction(request.app.state.session_factory) as writer:
        fresh = writer.get(User, user.id)
        assert fresh is not None
        issuer = totp_issuer(request)
        return two_factor.pending(fresh, issuer) or two_factor.do_begin(writer, fresh, issuer)


@router.get("/login/2fa")
def second_factor_page(request: Request, session: SessionDep) -> Response:
    """Ask for the code (or, when the owner requires one and none is set up, set it up)."""
    user = _challenged(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    enrol = None if two_factor.is_enabled(user) else _enrolment(request, user)
    return _second_factor_form(request, session, user, enrol=enrol)


@router.post("/login/2fa")
def second_factor(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=40)],
    csrf_token: Annotated[str, Form()] = "",
    remember: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    locale = page_locale(request)
    user = _challenged(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    audit.act_as(session, user_actor(request, user))  # they gave their password: it is them
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    enrolled = two_factor.is_enabled(user)
    enrol = None if enrolled else two_factor.pending(user, totp_issuer(request))

    def again(message: str, status_code: int) -> HTMLResponse:
        return _second_factor_form(
            request, session, user, enrol=enrol, error=message, status_code=status_code
        )

    if not expected or not tokens_equal(csrf_token, expected):
        return again(gettext("The form expired. Please try again.", locale), 403)
    ip = client_ip(request)
    wait = throttle.locked_for(session, user.email, ip)
    if wait is not None:
        throttle.record_attempt(session, user.email, ip, reason="locked")
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        response = again(
            gettext(
                "Too many failed sign-ins. Try again in {minutes} minutes.",
                locale,
                minutes=minutes,
            ),
            429,
        )
        response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
        return response
    target = _safe_next(next)
    if not enrolled:
        try:
            codes = two_factor.do_confirm(session, user, code)
        except two_factor.TwoFactorError as exc:
            throttle.do_record_failure(session, user.email, ip, reason="2fa")
            return again(exc.message(locale), 401)
        redirect = _start(request, session, user, target)
        if redirect.status_code != 303:
            return redirect  # refused (the device limit): the factor is on, sign in elsewhere
        page = render(request, "two_factor_codes.html", codes=codes, next=target, first=True)
        for header, value in redirect.headers.items():
            if header.lower() == "set-cookie":
                page.headers.append("set-cookie", value)
        return page
    if two_factor.do_check(session, user, code) is None:
        throttle.do_record_failure(session, user.email, ip, reason="2fa")
        return again(gettext("That code is wrong or was already used.", locale), 401)
    response = _start(request, session, user, target)
    days = policy.load(session).remember_days
    if remember and days:
        device = two_factor.do_remember(
            session,
            user,
            days=days,
            user_agent=request.headers.get("user-agent"),
            ip=ip,
        )
        response.set_cookie(
            two_factor.DEVICE_COOKIE,
            device,
            max_age=days * 86400,
            httponly=True,
            samesite="lax",
            secure=cookie_secure(request),
        )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: UserDep) -> Response:
    sessions.do_end_session(session, request.cookies.get(sessions.COOKIE_NAME))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME)
    return response


@router.post("/me/locale")
def set_locale(
    request: Request, user: UserDep, locale: Annotated[str, Form()], back: Annotated[str, Form()]
) -> Response:
    """Switch this user's language (Bahasa Indonesia or English)."""
    if locale in LOCALES:
        user.locale = locale
    return RedirectResponse(_safe_next(back), status_code=303)


@router.get("/invite/{secret}")
def invite_page(request: Request, session: SessionDep, secret: str) -> HTMLResponse:
    request.state.locale = page_locale(request)
    invite = invites.find_open_invite(session, secret)
    return render(
        request,
        "invite.html",
        status_code=200 if invite else 404,
        invite=invite,
        secret=secret,
        error=None,
        min_length=MIN_PASSWORD_LENGTH,
    )


@router.post("/invite/{secret}")
def accept_invite(
    request: Request,
    session: SessionDep,
    secret: str,
    password: Annotated[str, Form()],
    password2: Annotated[str, Form()],
) -> Response:
    locale = page_locale(request)
    request.state.locale = locale
    invite = invites.find_open_invite(session, secret)
    error = None
    if invite is None:
        error = gettext("This invitation is invalid, used or expired.", locale)
    elif password != password2:
        error = gettext("The two passwords differ.", locale)
    else:
        try:
            check_password(password, email=invite.email, name=invite.name)
        except WeakPassword as exc:
            error = exc.message(locale)
    if error:
        return render(
            request,
            "invite.html",
            status_code=400,
            invite=invite,
            secret=secret,
            error=error,
            min_length=MIN_PASSWORD_LENGTH,
        )
    user = invites.do_accept_invite(session, secret, password, locale=locale)
    if policy.load(session).needs_2fa(user):
        return _to_second_factor(request, user, "/inbox")  # set it up before the first session
    _, cookie = sessions.do_start_session(
        session, user, user_agent=request.headers.get("user-agent"), ip=client_ip(request)
    )
    return _signed_in(request, cookie, "/inbox")
