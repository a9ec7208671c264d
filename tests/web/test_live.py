"""Live updates: the hub fans events out to browsers, across processes through Redis."""

from __future__ import annotations

import asyncio
import json

from niaga.core import events
from niaga.core.live import LiveHub


async def _next_event(stream: object) -> dict[str, object]:
    while True:
        chunk = await asyncio.wait_for(stream.__anext__(), timeout=5)  # type: ignore[attr-defined]
        if chunk.startswith("event:"):
            return json.loads(chunk.split("data: ", 1)[1])


async def _never() -> bool:
    return False


async def test_events_reach_open_streams_and_presence_is_tracked() -> None:
    hub = LiveHub()
    await hub.start()
    stream = hub.stream(1, _never)
    assert (await _next_event(stream))["type"] == "hello"
    hub.on_event(events.Event(events.MESSAGE_RECEIVED, {"conversation_id": 7, "message_id": 3}))
    got = await _next_event(stream)
    assert got == {"type": "message.received", "conversation_id": 7, "message_id": 3}
    hub.viewing(2, "Rina", 7)
    presence = await _next_event(stream)
    assert presence["viewers"] == [{"user_id": 2, "name": "Rina"}]
    hub.viewing(2, "Rina", None)
    await _next_event(stream)
    assert hub.viewers(7) == []
    await hub.stop()


async def test_redis_relays_events_between_processes(redis_url: str) -> None:
    web = LiveHub()  # a web process with a browser connected
    await web.start(redis_url)
    worker = LiveHub(redis_url=redis_url)  # a standalone worker: publishes only
    stream = web.stream(1, _never)
    assert (await _next_event(stream))["type"] == "hello"
    await asyncio.sleep(0.3)  # the relay subscribes
    worker.on_event(events.Event(events.MESSAGE_STATUS_CHANGED, {"conversation_ids": [4, 5]}))
    got = await _next_event(stream)
    assert got["type"] == "message.status_changed" and got["conversation_ids"] == [4, 5]
    # The web process's own events are not delivered twice through Redis.
    web.on_event(events.Event(events.NOTE_ADDED, {"conversation_id": 9}))
    assert (await _next_event(stream))["type"] == "conversation.note_added"
    worker.on_event(events.Event(events.LABEL_ADDED, {"conversation_id": 1}))
    assert (await _next_event(stream))["type"] == "conversation.label_added"
    await web.stop()
