"""Sign in, sign out, accept an invitation, choose the language."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from niaga.core.i18n import LOCALES, gettext
from niaga.core.tokens import tokens_equal
from niaga.security import invites, sessions, throttle
from niaga.security.users import MIN_PASSWORD_LENGTH
from niaga.web.auth import UserDep, cookie_secure, page_locale
from niaga.web.deps import SessionDep
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
    response.set_cookie(
        sessions.COOKIE_NAME,
        secret,
        max_age=int(sessions.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )
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
    ip = request.client.host if request.client else None
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
    throttle.do_record_success(session, email)
    _, secret = sessions.do_start_session(
        session,
        user,
        user_agent=request.headers.get("user-agent"),
        ip=ip,
    )
    response = _signed_in(request, secret, _safe_next(next))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
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
    elif len(password) < MIN_PASSWORD_LENGTH:
        error = gettext(
            "The password needs at least {n} characters.", locale, n=MIN_PASSWORD_LENGTH
        )
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
    _, cookie = sessions.do_start_session(session, user)
    return _signed_in(request, cookie, "/inbox")
