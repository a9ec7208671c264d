"""Cleaning text people type into search boxes before it reaches a database or an index."""

from __future__ import annotations

import re

MAX_QUERY = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_query(text: str | None, max_length: int = MAX_QUERY) -> str:
    """``text`` without NUL, control characters or lone surrogates, whitespace collapsed,
    at most ``max_length`` characters (no one searches for more; indexes choke on it)."""
    if not text:
        return ""
    return " ".join(_CONTROL.sub(" ", text).split())[:max_length]
