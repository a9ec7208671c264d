"""Signatures on outgoing webhooks, so the receiver knows Niaga sent them, unchanged and fresh.

Header ``X-Niaga-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, keyed with
the installation's webhook secret (derived from ``NIAGA_SECRET_KEY``, shown to owners at
Settings › Webhooks). A receiver recomputes it and refuses a ``t`` older than five minutes.
"""

from __future__ import annotations

import hashlib
import hmac

from niaga.core.tokens import tokens_equal

TOLERANCE_SECONDS = 300


def webhook_secret(secret_key: str) -> str:
    """The signing secret of this installation."""
    return (
        "whsec_" + hmac.new(secret_key.encode(), b"niaga-outgoing-webhooks", "sha256").hexdigest()
    )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int) -> bool:
    """What a receiver does: the signature matches and is at most five minutes old."""
    fields = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp = fields.get("t", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > TOLERANCE_SECONDS:
        return False
    return tokens_equal(sign(secret, int(stamp), body).split(",v1=")[1], fields.get("v1", ""))
