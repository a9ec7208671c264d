"""CSV that is safe to open in a spreadsheet: no cell starts a formula (CWE-1236).

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` leaks data when clicked).
Such cells get a leading apostrophe, which spreadsheets show as plain text. Every CSV export
writes through :func:`safe_writer`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when, as text, it would start a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, str) and "\r" in value:
        # A bare CR is not quoted by the csv module when lines end in LF: it would split rows.
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise(value)


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """``csv.DictWriter`` whose every cell is :func:`neutralise`-d (and CRs made LFs)."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: _cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def safe_writer(out: TextIO, fieldnames: list[str], **kwargs: Any) -> SafeDictWriter:
    """A dict writer for ``out`` that never writes a formula."""
    return SafeDictWriter(out, fieldnames=fieldnames, **kwargs)
