"""Per-request context as a small pure-ASGI middleware: a request id (the proxy's
``X-Request-ID`` or a new one) on the response and on every log line of the request, and the
request counted and timed for ``/metrics`` by its route template (never the raw path)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niaga.core import logs, metrics


def route_template(scope: Scope) -> str:
    """``/inbox/c/{conversation_id}`` for the matched route; a mount's prefix; else a bucket."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return f"{scope.get('root_path', '')}{path}"  # a mounted app's routes under its prefix
    raw = str(scope.get("path", ""))
    for prefix in ("/static", "/sandbox"):
        if raw.startswith(prefix):
            return prefix
    return "unmatched"


class RequestContext:
    """Request id, then the count and time of the request once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None
        )
        rid = logs.new_request_id(given)
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.count_request(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )
            logs.request_id.reset(token)
