"""Live updates for open browsers: Server-Sent Events fed by domain events.

Events are published after commit in whichever process made the change: the web process
(agent actions) or a worker (webhooks, dispatcher). :class:`LiveHub` fans them out to the
browsers connected to this process. With Redis configured, every process also publishes its
events on one Redis channel and every web process relays what the others published, so a
standalone ``niaga worker`` reaches the browsers too. Presence ("who else is viewing this
chat") travels the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from niaga.core import events

log = logging.getLogger(__name__)

CHANNEL = "niaga:live"
PRESENCE_TTL = 30.0  # seconds; browsers refresh presence every 10 s
HEARTBEAT = 15.0
LIVE_EVENTS = (
    events.MESSAGE_RECEIVED,
    events.MESSAGE_STATUS_CHANGED,
    events.MESSAGE_QUEUED,
    events.CONVERSATION_CREATED,
    events.CONVERSATION_ASSIGNED,
    events.CONVERSATION_STATUS_CHANGED,
    events.LABEL_ADDED,
    events.LABEL_REMOVED,
    events.NOTE_ADDED,
)


@dataclass(eq=False)
class _Client:
    queue: asyncio.Queue[dict[str, Any] | None]
    user_id: int
    conversation_id: int | None = None


@dataclass
class LiveHub:
    """Fan-out of live events to SSE clients in this process (plus the Redis bridge)."""

    origin: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    loop: asyncio.AbstractEventLoop | None = None
    clients: set[_Client] = field(default_factory=set)
    # conversation id -> user id -> (name, expires at monotonic)
    presence: dict[int, dict[int, tuple[str, float]]] = field(default_factory=dict)
    redis_url: str = ""
    _redis: Any = None
    _relay: asyncio.Task[None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Every loop that started the hub and has not stopped it: tests run several apps in one
    # process, and one app stopping must not cut the others off.
    _loops: list[asyncio.AbstractEventLoop] = field(default_factory=list)

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, redis_url: str = "") -> None:
        """Bind to the running loop; relay other processes' events when Redis is set."""
        self.loop = asyncio.get_running_loop()
        self._loops.append(self.loop)
        self.redis_url = redis_url
        if redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(redis_url)
            self._relay = asyncio.create_task(self._relay_from_redis())

    async def stop(self) -> None:
        """Close every stream and the Redis relay."""
        for client in list(self.clients):
            client.queue.put_nowait(None)
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._relay
        if self._redis is not None:
            await self._redis.aclose()
        with contextlib.suppress(ValueError):
            self._loops.remove(asyncio.get_running_loop())
        self.loop = next((lp for lp in reversed(self._loops) if not lp.is_closed()), None)

    # ------------------------------------------------------------------ publishing
    def on_event(self, event: events.Event) -> None:
        """Domain event listener (any thread): deliver locally and to other processes."""
        payload = {"type": event.name, **plain(event.data)}
        self.deliver_threadsafe(payload)
        self._to_redis(payload)

    def _to_redis(self, payload: dict[str, Any]) -> None:
        url = self.redis_url
        if not url:
            return
        try:
            client = _sync_redis(url)
            client.publish(CHANNEL, json.dumps({"origin": self.origin, **payload}))
        except Exception:  # live updates are best effort; the page reloads state anyway
            log.warning("could not publish a live event to Redis", exc_info=True)

    def deliver_threadsafe(self, payload: dict[str, Any]) -> None:
        """Deliver to this process's browsers only (any thread), e.g. from a worker child."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(payload)
        else:
            loop.call_soon_threadsafe(self._deliver, payload)

    def deliver_many_threadsafe(self, payloads: list[dict[str, Any]]) -> None:
        """Deliver a batch (a worker child's) in one turn of the loop; nothing when no browser
        is connected (live events are best effort: a page loads the state it shows)."""
        loop = self.loop
        if not self.clients or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._deliver_many, payloads)

    def _deliver_many(self, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            self._deliver(payload)

    def _deliver(self, payload: dict[str, Any]) -> None:
        if payload.get("type") == "presence" and "viewers" not in payload:
            payload = {**payload, "viewers": self._apply_presence(payload)}
        for client in list(self.clients):
            if client.queue.qsize() > 500:  # a stuck browser: drop it, it reconnects
                client.queue.put_nowait(None)
                self.clients.discard(client)
                continue
            client.queue.put_nowait(payload)

    async def _relay_from_redis(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    data = json.loads(message["data"])
                    if data.pop("origin", None) == self.origin:
                        continue
                    self._deliver(data)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live relay from Redis failed; retrying", exc_info=True)
                await asyncio.sleep(1)

    # ------------------------------------------------------------------ presence
    def viewing(self, user_id: int, name: str, conversation_id: int | None) -> None:
        """``user_id`` is looking at ``conversation_id`` (None: at no chat)."""
        payload = {
            "type": "presence",
            "user_id": user_id,
            "name": name,
            "conversation_id": conversation_id,
        }
        self._to_redis(payload)
        # Applied now (the caller reads viewers next), delivered on the loop's thread.
        self.deliver_threadsafe({**payload, "viewers": self._apply_presence(payload)})

    def _apply_presence(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """Record where a user is looking (any thread); returns that chat's viewers."""
        user_id = int(payload["user_id"])
        conversation_id = payload.get("conversation_id")
        with self._lock:
            for viewers in self.presence.values():
                viewers.pop(user_id, None)
            if conversation_id is not None:
                viewers = self.presence.setdefault(int(conversation_id), {})
                viewers[user_id] = (
                    str(payload.get("name", "")),
                    time.monotonic() + PRESENCE_TTL,
                )
        return self.viewers(int(conversation_id)) if conversation_id is not None else []

    def viewers(self, conversation_id: int) -> list[dict[str, Any]]:
        """Who is viewing a conversation now."""
        now = time.monotonic()
        with self._lock:
            viewers = self.presence.get(conversation_id, {})
            for uid in [u for u, (_, exp) in viewers.items() if exp < now]:
                viewers.pop(uid)
            return [{"user_id": u, "name": n} for u, (n, _) in sorted(viewers.items())]

    # ------------------------------------------------------------------ streams
    async def stream(self, user_id: int, is_disconnected: Any) -> AsyncIterator[str]:
        """SSE lines for one browser until it disconnects or the hub stops."""
        client = _Client(queue=asyncio.Queue(), user_id=user_id)
        self.clients.add(client)
        try:
            yield "retry: 3000\n\n"
            yield _sse({"type": "hello"})
            while True:
                try:
                    payload = await asyncio.wait_for(client.queue.get(), timeout=HEARTBEAT)
                except TimeoutError:
                    if await is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if payload is None:
                    return
                yield _sse(payload)
        finally:
            self.clients.discard(client)


def _sse(payload: dict[str, Any]) -> str:
    return f"event: {payload.get('type', 'message')}\ndata: {json.dumps(payload)}\n\n"


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as JSON-safe values."""
    return json.loads(json.dumps(data, default=str))


_sync_clients: dict[str, Any] = {}


def _sync_redis(url: str) -> Any:
    client = _sync_clients.get(url)
    if client is None:
        import redis

        client = _sync_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return client


def subscribe(hub: LiveHub) -> None:
    """Feed ``hub`` with every live event of this process."""
    for name in LIVE_EVENTS:
        events.subscribe(name, hub.on_event)


def unsubscribe(hub: LiveHub) -> None:
    for name in LIVE_EVENTS:
        events.unsubscribe(name, hub.on_event)
