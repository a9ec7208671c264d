"""Meta-shaped error answers."""

from __future__ import annotations

import secrets
from typing import Any

TITLES: dict[int, tuple[str, int]] = {
    100: ("Invalid parameter", 400),
    190: ("Invalid OAuth access token - Cannot parse access token", 401),
    130429: ("Rate limit hit", 400),
    131000: ("Something went wrong", 500),
    131008: ("Required parameter is missing", 400),
    131009: ("Parameter value is not valid", 400),
    131016: ("Service unavailable", 503),
    131026: ("Message undeliverable", 400),
    131047: (
        "Re-engagement message",
        400,
    ),
    131049: (
        "This message was not delivered to maintain healthy ecosystem engagement.",
        400,
    ),
    131051: ("Unsupported message type", 400),
    131056: ("(Business Account, Consumer Account) pair rate limit hit", 400),
    132000: ("Number of parameters does not match the expected number of params", 400),
    132001: ("Template name does not exist in the translation", 404),
    132012: ("Parameter format does not match format in the created template", 400),
    132015: ("Template is Paused", 400),
    132016: ("Template is Disabled", 400),
    133010: ("Phone number Not Registered", 400),
}


class SandboxError(Exception):
    """Answer like Meta: ``{"error": {...}}`` with Meta's HTTP status."""

    def __init__(
        self, code: int, details: str, message: str | None = None, subcode: int | None = None
    ) -> None:
        title, status = TITLES.get(code, ("Unknown error", 400))
        super().__init__(f"({code}) {details}")
        self.code = code
        self.title = title
        self.details = details
        self.message = message or f"(#{code}) {title}"
        self.http_status = status
        self.subcode = subcode

    def body(self) -> dict[str, Any]:
        """Meta's error body (``error_subcode`` only where Meta still sends one)."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "error_data": {"messaging_product": "whatsapp", "details": self.details},
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
        return {"error": error}

    def webhook_error(self) -> dict[str, Any]:
        """The same error as it appears in a ``failed`` status webhook."""
        return webhook_error(self.code, self.details)


def webhook_error(code: int, details: str) -> dict[str, Any]:
    title = TITLES.get(code, ("Unknown error", 400))[0]
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    }
