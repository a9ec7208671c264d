"""Headers every response carries, and the Host check, as one small pure-ASGI middleware.

- A Content-Security-Policy that allows only Niaga's own scripts (no inline script, no
  ``eval``), no framing (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), forms only to
  Niaga, no plugins; ``nosniff``, a same-origin referrer, no camera/microphone/location.
  A response that set its own CSP (untrusted files: ``sandbox``) keeps it.
- The Host header must name this Niaga (``NIAGA_PUBLIC_URL``'s host, loopback, or a name in
  ``NIAGA_ALLOWED_HOSTS``): a page on another name that rebinds its DNS to this machine gets 400.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niaga.core.hosts import LOOPBACK_NAMES, host_names, host_of

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI and ReDoc need their inline bootstrap script; they still may not be framed.
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds the security headers and refuses foreign Host headers."""

    def __init__(self, app: ASGIApp, public_url: str, allowed_hosts: str = "") -> None:
        self.app = app
        names = host_names(allowed_hosts)
        self.any_host = "*" in names
        own = urlsplit(public_url).hostname or ""
        self.hosts = frozenset({*LOOPBACK_NAMES, own.lower(), *names})
        self.hsts = public_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1")
        if not self.any_host and host_of(host) not in self.hosts:
            await _refuse(send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in self._headers(docs):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, docs: bool) -> list[tuple[bytes, bytes]]:
        out = [
            (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if self.hsts:
            out.append((b"strict-transport-security", b"max-age=31536000"))
        return out


async def _refuse(send: Send) -> None:
    body = b"Invalid Host header"
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
