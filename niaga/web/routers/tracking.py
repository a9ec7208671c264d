"""``/l/{code}``: a campaign recipient's tracked link, counted and sent on with UTM tags."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from niaga.campaigns import service as campaigns
from niaga.core.db import transaction

router = APIRouter(include_in_schema=False)


@router.get("/l/{code}")
def follow(code: str, request: Request) -> RedirectResponse:
    """Count the click (the first one dates it) and redirect to the campaign's link."""
    if not code.replace("-", "").replace("_", "").isalnum() or len(code) > 16:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    with transaction(request.app.state.session_factory) as session:
        target = campaigns.do_click(session, code)
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
