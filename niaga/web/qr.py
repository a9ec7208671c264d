"""QR codes drawn inline (a data: URI the page's CSP allows), e.g. an authenticator's setup."""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a ``data:`` URI."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)
