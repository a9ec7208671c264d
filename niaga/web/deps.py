"""FastAPI dependencies: database session, API token, role checks, locale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy import update
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.i18n import gettext, negotiate
from niaga.security import audit, permissions
from niaga.security.models import ApiToken
from niaga.security.tokens import find_active_token

TOUCH_EVERY = timedelta(minutes=5)
READ_METHODS = ("GET", "HEAD")


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, else rolled back.

    Reads (GET, HEAD) use read-only sessions that never wait for SQLite's write lock.
    """
    state = request.app.state
    factory = (
        state.read_session_factory if request.method in READ_METHODS else state.session_factory
    )
    with transaction(factory) as session:
        yield session


# scope="function": commit (or roll back) before the response is sent, so a client that gets
# 2xx can read its change at once, and a failed commit is never acknowledged.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str | None:
    """The address a request came from (the proxy's forwarded one when uvicorn trusts it)."""
    return request.client.host if request.client else None


def token_actor(request: Request, token: ApiToken) -> audit.AuditActor:
    """How the audit log names a request made with ``token``."""
    return audit.AuditActor(
        label=f"API token {token.prefix}… ({token.name})",
        via="api",
        user_id=token.user_id,
        ip=client_ip(request),
    )


def get_locale(request: Request) -> str:
    """``id`` or ``en`` from Accept-Language (Bahasa Indonesia by default)."""
    return negotiate(request.headers.get("accept-language"), request.app.state.settings.locale)


LocaleDep = Annotated[str, Depends(get_locale)]


def current_token(request: Request, session: SessionDep, locale: LocaleDep) -> ApiToken:
    """The API token from ``Authorization: Bearer <token>``; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    token = find_active_token(session, secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=gettext("Missing or invalid API token.", locale),
            headers={"WWW-Authenticate": "Bearer"},
        )
    audit.act_as(session, token_actor(request, token))
    _touch(request, token, session)
    return token


def _touch(request: Request, token: ApiToken, session: Session) -> None:
    """Record when a token was last used (at most every few minutes), in the audit log too.

    A write request stamps it in its own transaction. Read requests run in read-only
    sessions that must never wait for SQLite's write lock, so they stamp it in a short
    transaction of their own.
    """
    now = clock.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    used = {"method": request.method, "path": request.url.path[:200]}
    target = ("token", token.id)
    if request.method not in READ_METHODS:
        token.last_used_at = now
        audit.record(session, "token.used", target=target, details=used)
        return
    with transaction(request.app.state.session_factory) as writer:
        writer.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        audit.record(
            writer, "token.used", actor=token_actor(request, token), target=target, details=used
        )


TokenDep = Annotated[ApiToken, Depends(current_token)]


def require_role(*roles: str) -> Callable[..., ApiToken]:
    """A dependency that allows only ``roles``."""

    def check(token: TokenDep, locale: LocaleDep) -> ApiToken:
        if token.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=gettext("Your role ({role}) may not do this.", locale, role=token.role),
            )
        return token

    return check


def require_permission(permission: str, *roles: str) -> Callable[..., ApiToken]:
    """A dependency that allows only ``roles`` whose token also has ``permission`` (the
    fine permissions of security.permissions: what its role and its maker may do)."""

    def check(token: TokenDep, session: SessionDep, locale: LocaleDep) -> ApiToken:
        if token.role not in roles or permission not in permissions.of_token(session, token):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=gettext("Your role ({role}) may not do this.", locale, role=token.role),
            )
        return token

    return check


CanRead = Annotated[ApiToken, Depends(require_role("owner", "admin", "agent", "analyst"))]
CanSend = Annotated[ApiToken, Depends(require_role("owner", "admin", "agent"))]
# Settings through the API (profile and hours, rules, templates, links, the catalog's
# settings, bands): owners and admins holding the "change settings" permission.
CanChangeSettings = Annotated[
    ApiToken, Depends(require_permission("change_settings", "owner", "admin"))
]


def public_base(request: Request) -> str:
    """Where customers reach this Niaga: ``NIAGA_PUBLIC_URL``, else the address asked."""
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")
