"""Approved templates for the composer, and syncing them from WhatsApp."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from niaga.core.errors import UpstreamError
from niaga.web.auth import Actor, CanReadInbox, require_detached
from niaga.web.deps import SessionDep
from niaga.web.routers.inbox.common import approved_templates

router = APIRouter(include_in_schema=False)


@router.get("/inbox/templates")
def list_templates(session: SessionDep, user: CanReadInbox) -> JSONResponse:
    """Approved templates with the parameters each needs."""
    return JSONResponse({"items": approved_templates(session)})


@router.post("/inbox/templates/sync")
async def sync_templates(
    request: Request, user: Annotated[Actor, Depends(require_detached("manage_quick_replies"))]
) -> JSONResponse:
    """Pull the template list from Meta (or the sandbox) now."""
    from niaga.channels.whatsapp.channel import make_channel
    from niaga.templates.sync import sync as do_sync

    settings = request.app.state.settings
    channel = make_channel(settings)
    try:
        count = await do_sync(
            channel, request.app.state.session_factory, settings.wa_business_account_id
        )
    except Exception as exc:  # Meta's error or the network: the person can try again
        raise UpstreamError(
            "template_sync_failed",
            "Could not sync the templates from WhatsApp: {reason}",
            reason=str(exc)[:200],
        ) from exc
    finally:
        await channel.close()
    return JSONResponse({"synced": count})
