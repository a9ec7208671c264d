"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw body with the app secret (FACTS.md §1.2)."""

from __future__ import annotations

import hashlib
import hmac

from niaga.core.tokens import tokens_equal


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta would send for ``body``: ``sha256=<lowercase hex>``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, header: str | None, app_secret: str) -> bool:
    """True only when ``header`` is a valid signature of ``body``; constant-time compare."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return tokens_equal(header[7:].strip().lower(), expected)
