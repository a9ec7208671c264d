"""The owner's status page: ``niaga doctor``'s checks in the browser, with the fix for each
problem and a button that subscribes the webhooks when that is what is missing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from niaga.core import clock
from niaga.core.i18n import gettext
from niaga.doctor import service
from niaga.doctor.findings import worst
from niaga.security import audit
from niaga.web.auth import Actor, CanManageShop, require_detached, user_actor
from niaga.web.deps import SessionDep
from niaga.web.templating import render

router = APIRouter(prefix="/settings/status", include_in_schema=False)
CanReadStatus = Annotated[Actor, Depends(require_detached("read_audit"))]


@router.get("", response_class=HTMLResponse)
async def status_page(request: Request, user: CanReadStatus) -> HTMLResponse:
    state = request.app.state
    found = await service.run(state.settings, state.engine)
    return render(
        request,
        "settings_status.html",
        findings=found,
        overall=worst(found),
        checked_at=clock.now(),
        can_fix=user.role in ("owner", "admin"),  # the button's route checks the permission
        flash=request.query_params.get("flash"),
    )


@router.post("/subscribe")
async def subscribe(request: Request, session: SessionDep, user: CanManageShop) -> Response:
    state = request.app.state
    locale = request.state.locale
    try:
        await service.subscribe(state.settings)
        message = gettext("Webhooks subscribed.", locale)
        outcome = "subscribed"
    except Exception as exc:
        message = gettext("Meta refused: {error}", locale, error=str(exc)[:200])
        outcome = f"failed: {type(exc).__name__}"
    audit.record(
        session,
        "settings.changed",
        actor=user_actor(request, user),
        target=("settings", "webhook_subscription"),
        details={"fields": ["webhook_subscription"], "outcome": outcome},
    )
    from urllib.parse import quote

    return RedirectResponse(f"/settings/status?flash={quote(message)}", status_code=303)
