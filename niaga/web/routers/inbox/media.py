"""Media in the thread: customers' files served safely, agents' uploads by signed link."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse

from niaga.core.db import transaction
from niaga.inbox import media as inbox_media
from niaga.inbox.models import Message
from niaga.security import sessions
from niaga.web.auth import may
from niaga.web.safe_files import safe_link, untrusted_file

router = APIRouter(include_in_schema=False)


@router.get("/inbox/media/{message_id}")
async def message_media(request: Request, message_id: int) -> Any:
    """The media of a message, served so it can never run as a page of ours.

    Inbound (and outbound by media id): fetched from the Graph API once and cached; images are
    shown as Niaga's re-encoding, everything else is a download. Outbound by link: the agent's
    stored upload, or a redirect to an http(s) link (never to ``javascript:`` and the like).
    """
    factory = request.app.state.read_session_factory
    with transaction(factory) as session:
        found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
        if found is None or not may(found[1], "read_inbox"):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED)
        message = session.get(Message, message_id) if message_id < 2**63 else None
        if message is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        found = inbox_media.media_of(message)
        kind = (message.type or "").split(":")[0]
    settings = request.app.state.settings
    media_id, mime, link, filename = found.media_id, found.mime, found.link, found.filename
    if not media_id and link:
        name = inbox_media.upload_name_of(settings, str(link))
        path = inbox_media.uploaded_path(settings, name) if name else None
        if path is not None:
            return _serve_upload(path, filename)
        target = safe_link(str(link))
        if target is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND)
        return RedirectResponse(target, status_code=303)
    if not media_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    path, mime = await inbox_media.cached_inbound(settings, media_id, mime)
    if kind in ("image", "sticker"):
        safe = await asyncio.to_thread(inbox_media.safe_inbound_image, path)
        if safe is not None:
            return untrusted_file(safe, None, filename=filename, inline_image=True)
    return untrusted_file(path, mime, filename=filename or f"{kind or 'file'}-{message_id}")


def _serve_upload(path: Path, filename: str | None) -> Any:
    mime = inbox_media.uploaded_type(path)
    return untrusted_file(
        path,
        mime,
        filename=filename or path.name,
        inline_image=mime.startswith("image/"),  # uploads are re-encoded when stored
        keep_download_type=True,
    )


@router.get("/media/out/{name}")
def outbound_media(
    request: Request, name: str, exp: str | None = None, sig: str | None = None
) -> Any:
    """An agent's upload: for Meta by its signed, expiring link; for a signed-in colleague."""
    settings = request.app.state.settings
    path = inbox_media.uploaded_path(settings, name)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    if not inbox_media.link_valid(settings, name, exp, sig):
        with transaction(request.app.state.read_session_factory) as session:
            found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
            if found is None or not may(found[1], "read_inbox"):
                raise HTTPException(status.HTTP_404_NOT_FOUND)
    return _serve_upload(path, None)
