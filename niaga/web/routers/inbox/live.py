"""Live inbox: presence (an agent online) and the event stream of changes."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from niaga.core import clock
from niaga.core.db import transaction
from niaga.security import sessions
from niaga.web.auth import CanReadInbox, may

router = APIRouter(include_in_schema=False)


class PresenceIn(BaseModel):
    conversation_id: int | None = None


@router.post("/inbox/presence")
def presence(request: Request, user: CanReadInbox, body: PresenceIn) -> JSONResponse:
    """The browser says which chat this user is looking at (every 15 s while open)."""
    hub = request.app.state.live_hub
    hub.viewing(user.id, user.name, body.conversation_id)
    viewers = hub.viewers(body.conversation_id) if body.conversation_id else []
    return JSONResponse({"viewers": [v for v in viewers if v["user_id"] != user.id]})


@router.get("/inbox/events")
async def event_stream(request: Request) -> StreamingResponse:
    """Server-Sent Events: new messages, ticks, assignments, labels, presence."""
    with transaction(request.app.state.read_session_factory) as session:
        found = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
        if found is None or not may(found[1], "read_inbox"):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED)
        user_id = found[1].id
    return StreamingResponse(
        request.app.state.live_hub.stream(user_id, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def now_iso() -> str:
    return clock.now().isoformat()
