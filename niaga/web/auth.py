"""Signed-in pages: the session cookie, the current user, roles and CSRF.

Pages redirect an anonymous visitor to ``/login``; the inbox's JSON actions answer 401.
Every unsafe request (POST/PUT/PATCH/DELETE) must carry the session's CSRF token, as the form
field ``csrf_token`` or the header ``X-CSRF-Token``; the cookie is HttpOnly, SameSite=Lax and
Secure whenever Niaga is served over https.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from niaga.core.db import transaction
from niaga.core.i18n import LOCALES, gettext, negotiate
from niaga.security import audit, permissions, sessions
from niaga.security.models import User, WebSession
from niaga.web.deps import SessionDep, client_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Who may do what; routes name a capability, never a list of roles.
CAPABILITIES: dict[str, tuple[str, ...]] = {
    "read_inbox": ("owner", "admin", "agent", "analyst"),
    "reply": ("owner", "admin", "agent"),
    "organise": ("owner", "admin", "agent"),
    "manage_quick_replies": ("owner", "admin", "agent"),
    "manage_labels": ("owner", "admin"),
    "manage_teams": ("owner", "admin"),
    "manage_users": ("owner", "admin"),
    "manage_templates": ("owner", "admin"),
    "manage_links": ("owner", "admin"),
    "manage_shop": ("owner", "admin"),
    "manage_loyalty": ("owner", "admin"),
    "manage_campaigns": ("owner", "admin"),
    "send_campaigns": ("owner", "admin"),
    "read_reports": ("owner", "admin", "analyst"),
    "manage_analytics": ("owner", "admin"),
    "read_audit": ("owner", "admin"),
    "manage_security": ("owner",),
    "manage_privacy": ("owner", "admin"),
    "export_data": ("owner", "admin", "analyst"),
    "customer_archive": ("owner", "admin"),
    "erase_data": ("owner", "admin"),
    "handle_incidents": ("owner",),
}


# Capabilities that also need one of the fine permissions (security.permissions).
NEEDS: dict[str, str] = {
    "manage_labels": "change_settings",
    "manage_teams": "change_settings",
    "manage_templates": "change_settings",
    "manage_links": "change_settings",
    "manage_shop": "change_settings",
    "manage_loyalty": "change_settings",
    "manage_analytics": "change_settings",
    "manage_privacy": "change_settings",
    "send_campaigns": "send_campaigns",
    "export_data": "export_data",
    "customer_archive": "export_data",
}


class LoginRequired(Exception):
    """No signed-in user: pages redirect to the login form."""


def may(user: User | None, capability: str) -> bool:
    """Whether ``user`` has ``capability`` (their role, and the permission it needs)."""
    if user is None or user.role not in CAPABILITIES[capability]:
        return False
    needed = NEEDS.get(capability)
    return needed is None or permissions.has(user, needed)


def user_actor(request: Request, user: User) -> audit.AuditActor:
    """How the audit log names ``user`` acting through this request."""
    return audit.AuditActor(label=user.name, via="web", user_id=user.id, ip=client_ip(request))


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    """The signed-in cookie: HttpOnly, SameSite=Lax, Secure on https."""
    response.set_cookie(
        sessions.COOKIE_NAME,
        secret,
        max_age=int(sessions.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
    )


def totp_issuer(request: Request) -> str:
    """The name an authenticator app lists this account under."""
    return f"Niaga ({request.app.state.settings.business_name})"


def cookie_secure(request: Request) -> bool:
    settings = request.app.state.settings
    if settings.cookie_secure is not None:
        return bool(settings.cookie_secure)
    return settings.public_url.startswith("https://")


async def _form_csrf(request: Request) -> None:
    """Read ``csrf_token`` from a submitted form (the form is cached for the route)."""
    content_type = request.headers.get("content-type", "")
    if request.method not in SAFE_METHODS and (
        content_type.startswith("application/x-www-form-urlencoded")
        or content_type.startswith("multipart/form-data")
    ):
        form = await request.form()
        token = form.get("csrf_token")
        request.state.form_csrf = token if isinstance(token, str) else None


def _web_session(
    request: Request, session: SessionDep, _form: Annotated[None, Depends(_form_csrf)]
) -> tuple[WebSession, User]:
    found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
    if found is None:
        raise LoginRequired()
    row, user = found
    audit.act_as(session, user_actor(request, user))
    request.state.user = user
    request.state.csrf_token = row.csrf_token
    request.state.locale = user.locale if user.locale in LOCALES else "id"
    _check_csrf(request, row)
    if sessions.needs_touch(row):
        _touch(request, row, user, session)
    return row, user


def _check_csrf(request: Request, row: WebSession) -> None:
    """Unsafe methods must carry the session's CSRF token (header or form field)."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get("x-csrf-token") or getattr(request.state, "form_csrf", None)
    if not sessions.csrf_ok(row, given):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=gettext(
                "The form expired or came from another site. Reload the page and try again.",
                request.state.locale,
            ),
        )


def _touch(request: Request, row: WebSession, user: User, session: Session) -> None:
    """Slide the session; reads run read-only, so they stamp it in a short write."""
    if request.method not in SAFE_METHODS:
        sessions.do_touch(session, row, user)
        return
    with transaction(request.app.state.session_factory) as writer:
        w_row = writer.get(WebSession, row.id)
        w_user = writer.get(User, user.id)
        if w_row is not None and w_user is not None:
            sessions.do_touch(writer, w_row, w_user)


def current_user(
    pair: Annotated[tuple[WebSession, User], Depends(_web_session)],
) -> User:
    """The signed-in user (CSRF-checked on unsafe methods)."""
    return pair[1]


UserDep = Annotated[User, Depends(current_user)]


def require(capability: str) -> Callable[..., User]:
    """A dependency allowing only users with ``capability``."""

    def check(user: UserDep, request: Request) -> User:
        if not may(user, capability):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=gettext(
                    "Your role ({role}) may not do this.", request.state.locale, role=user.role
                ),
            )
        return user

    return check


def page_locale(request: Request) -> str:
    """The locale for a page without a user: ?lang=, cookie, then Accept-Language."""
    chosen = request.query_params.get("lang") or request.cookies.get("niaga_lang")
    if chosen in LOCALES:
        return chosen
    settings = request.app.state.settings
    return negotiate(request.headers.get("accept-language"), settings.locale)


CanReadInbox = Annotated[User, Depends(require("read_inbox"))]
CanReply = Annotated[User, Depends(require("reply"))]
CanOrganise = Annotated[User, Depends(require("organise"))]
CanManageQuickReplies = Annotated[User, Depends(require("manage_quick_replies"))]
CanManageLabels = Annotated[User, Depends(require("manage_labels"))]
CanManageShop = Annotated[User, Depends(require("manage_shop"))]
CanManageLoyalty = Annotated[User, Depends(require("manage_loyalty"))]
CanManageTeams = Annotated[User, Depends(require("manage_teams"))]
CanManageUsers = Annotated[User, Depends(require("manage_users"))]


@dataclass(frozen=True)
class Actor:
    """A signed-in user, detached from any database session."""

    id: int
    name: str
    role: str
    locale: str


def require_detached(capability: str) -> Callable[..., Actor]:
    """Like :func:`require`, for async routes that run their own transactions.

    The check runs in a short read-only transaction, so the route holds no database lock
    while it awaits (on SQLite a held write lock would block the route's own writes).
    """

    async def check(request: Request, _form: Annotated[None, Depends(_form_csrf)]) -> Actor:
        def load() -> tuple[WebSession, User] | None:
            with transaction(request.app.state.read_session_factory) as session:
                found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
                if found is not None:
                    session.expunge_all()
                return found

        found = await asyncio.to_thread(load)
        if found is None:
            raise LoginRequired()
        row, user = found
        request.state.locale = user.locale if user.locale in LOCALES else "id"
        _check_csrf(request, row)
        if not may(user, capability):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=gettext(
                    "Your role ({role}) may not do this.", request.state.locale, role=user.role
                ),
            )
        return Actor(id=user.id, name=user.name, role=user.role, locale=request.state.locale)

    return check
