"""The period's report as a page of its own and as a PDF: the same figures, bands, changes,
recommendations, return and charts as the dashboard, laid out for A4 (WeasyPrint renders the
page; its charts are SVG, so they print sharp)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from niaga.core import clock
from niaga.core.i18n import format_idr, format_local, gettext

TEMPLATES = Path(__file__).resolve().parent / "templates"
TITLES = {"day": "Daily report", "week": "Weekly report", "month": "Monthly report"}

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def title(kind: str, locale: str) -> str:
    """ "Laporan mingguan" and the like."""
    return gettext(TITLES[kind], locale)


def html(
    data: dict[str, Any],
    *,
    locale: str,
    business_name: str,
    made_at: datetime | None = None,
) -> str:
    """The report of :func:`niaga.analytics.report.for_reader` as a whole HTML document."""
    zone = data["period"]["time_zone"]

    def _(message: str, **params: Any) -> str:
        return gettext(message, locale, **params)

    refreshed = data.get("refreshed_at")
    return env.get_template("report.html").render(
        data=data,
        locale=locale,
        _=_,
        idr=lambda amount: format_idr(int(amount), locale),
        title=title(data["period"]["kind"], locale),
        business_name=business_name,
        made_at=format_local(clock.as_utc(made_at or clock.now()), zone, locale),
        refreshed_at=format_local(clock.as_utc(refreshed), zone, locale) if refreshed else None,
    )


def example_html(locale: str, business_name: str) -> str:
    """A one-page example of the report, the example file Meta reviews with the template."""
    heading = f"{title('week', locale)} · {business_name}"
    note = gettext("An example: the period's figures, charts and advice are here.", locale)
    return (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        f"<title>{escape(heading)}</title></head><body><h1>{escape(heading)}</h1>"
        f"<p>{escape(note)}</p></body></html>"
    )


def pdf(document: str) -> bytes:
    """The HTML document as PDF."""
    from weasyprint import HTML  # imported when a PDF is made: it loads pango

    return HTML(string=document, base_url=str(TEMPLATES)).write_pdf()
