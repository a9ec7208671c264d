"""Locale: gettext catalogs (Bahasa Indonesia first, English second), money and dates.

Catalogs are the ``.po`` files under ``niaga/locale/<locale>/LC_MESSAGES``, one file per area
(``niaga.po``, ``inbox.po``, ``catalog.po`` …), merged into one catalog per locale. They are read
with Babel at first use, so no compile step is needed.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


@lru_cache(maxsize=len(LOCALES))
def _catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        merged.update({str(m.id): str(m.string) for m in catalog if m.id and m.string})
    return merged


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Pick ``id`` or ``en`` from an Accept-Language header."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return default


def gettext(message: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """Translate ``message`` (English msgid) and fill ``{name}`` placeholders."""
    text = _catalog(locale).get(message, message)
    return text.format(**params) if params else text


def format_idr(amount: int, locale: str = DEFAULT_LOCALE) -> str:
    """Rupiah without decimals: ``Rp150.000``."""
    text = format_currency(amount, "IDR", locale="id_ID", format="¤#,##0", currency_digits=False)
    return text.replace("\xa0", "")


def format_local(
    value: datetime, tz: str = "Asia/Jakarta", locale: str = DEFAULT_LOCALE, fmt: str = "medium"
) -> str:
    """A UTC datetime shown in the business's time zone."""
    return _babel_datetime(value.astimezone(ZoneInfo(tz)), fmt, locale=locale)


def format_day(value: date, locale: str = DEFAULT_LOCALE) -> str:
    """A calendar day with its weekday: ``Rabu, 10 Maret 2027``."""
    return _babel_date(value, "EEEE, d MMMM y", locale=locale)
