"""A period's report as a spreadsheet (XLSX: one sheet per table, numbers as numbers) and as
CSV (the figures), in the reader's language; what the dashboard shows, for keeping and sharing."""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from niaga.core.csv_safe import safe_writer
from niaga.core.i18n import gettext

HEADERS = (
    "Figure",
    "Value",
    "Unit",
    "Band",
    "Previous",
    "Change",
    "Change %",
    "How it is computed",
)


def _row(f: dict[str, Any]) -> list[Any]:
    return [
        f.get("title") or f["name"],
        f["value"],
        f["unit"],
        f["band_text"] or "",
        f["previous"],
        f["change_points"],
        f["change_percent"],
        f["formula_text"],
    ]


def to_csv(report: dict[str, Any], locale: str) -> str:
    """The figures, one per line (through the formula-safe writer)."""
    out = io.StringIO()
    names = [gettext(h, locale) for h in HEADERS]
    writer = safe_writer(out, names)
    writer.writeheader()
    for figure in [*report["figures"], *report.get("goals", [])]:
        writer.writerow(dict(zip(names, _row(figure), strict=True)))
    return out.getvalue()


def to_xlsx(report: dict[str, Any], locale: str) -> bytes:
    """Figures, failures, satisfaction, first response, per agent and the return, as sheets."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})

    def sheet(title: str, header: list[str], rows: list[list[Any]]) -> None:
        ws = book.add_worksheet(gettext(title, locale)[:31])
        ws.write_row(0, 0, header, bold)
        for i, row in enumerate(rows, start=1):
            ws.write_row(i, 0, row)
        ws.set_column(0, len(header) - 1, 18)

    period = report["period"]
    sheet(
        "Summary",
        [gettext(h, locale) for h in HEADERS],
        [[gettext("Period", locale), period["label"], period["time_zone"]]]
        + [_row(f) for f in [*report["figures"], *report.get("goals", [])]],
    )
    sheet(
        "Failures",
        [gettext("Meta's error code", locale), gettext("Messages", locale)],
        [[code, n] for code, n in report["failures"].items()],
    )
    sheet(
        "Satisfaction ratings",
        [gettext("Rating", locale), gettext("Answers", locale)],
        [[int(score), n] for score, n in report["csat_distribution"].items()],
    )
    sheet(
        "First response",
        [gettext("Waited", locale), gettext("Customers", locale)],
        [[name, n] for name, n in report["response_buckets"].items()],
    )
    sheet(
        "Per agent",
        [
            gettext("Agent", locale),
            gettext("Chats answered", locale),
            "median (s)",
            gettext("Pleased messages", locale) + " %",
            gettext("Unhappy messages", locale) + " %",
        ],
        [
            [
                a["name"] or f"#{a['user_id']}",
                a["chats"],
                a["first_response_median"],
                a.get("positive_share"),
                a.get("negative_share"),
            ]
            for a in report["per_agent"]
        ],
    )
    if report.get("roi"):
        r = report["roi"]
        sheet(
            "Return on WhatsApp",
            [gettext("Figure", locale), "Rp / %"],
            [
                [gettext("Revenue from orders", locale), r["revenue"]],
                [gettext("New customers", locale), r["new_customers"]],
                [gettext("WhatsApp's charges", locale), r["meta_charges"]["idr"]],
                *[[gettext(f"cost.{k}", locale), v] for k, v in r["owner_costs"].items()],
                [gettext("Costs", locale), r["costs"]],
                [gettext("Profit", locale), r["profit"]],
                ["ROI %", r["roi_percent"]],
                [gettext("Cost per new customer", locale), r["cost_per_acquisition"]],
            ],
        )
    book.close()
    return buffer.getvalue()
