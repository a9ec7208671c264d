"""Secrets: comparing the ones a caller sent with the ones we hold, whatever bytes the caller
sent; and codes a person reads aloud or types."""

from __future__ import annotations

import hmac
import secrets

# No 0/O or 1/I: a code read from a poster or over the phone is typed back without doubt.
READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def readable_code(length: int, alphabet: str = READABLE) -> str:
    """``length`` characters of ``alphabet`` from the system's CSPRNG."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def tokens_equal(given: str | bytes | None, expected: str | bytes | None) -> bool:
    """Constant-time equality that is False (never an error) for odd input.

    :func:`hmac.compare_digest` raises ``TypeError`` on non-ASCII ``str``; a header or form
    field may hold any character, so both sides are compared as UTF-8 bytes.
    """
    if not given or not expected:
        return False
    a = given if isinstance(given, bytes) else given.encode("utf-8", "surrogateescape")
    b = expected if isinstance(expected, bytes) else expected.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(a, b)
