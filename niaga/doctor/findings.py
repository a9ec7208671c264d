"""What ``niaga doctor`` and the status page report: one finding per check, with the fix in
plain words. Titles, details and fixes are English msgids, translated where they are shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from niaga.core.i18n import gettext

# Worst first, for sorting and for the command's exit code.
SEVERITY = {"fail": 0, "warn": 1, "info": 2, "ok": 3}


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ``status`` is ok, info, warn or fail."""

    key: str
    status: str
    title: str
    detail: str = ""
    fix: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, part: str, locale: str) -> str:
        """``title``, ``detail`` or ``fix`` in ``locale``, placeholders filled."""
        message = getattr(self, part)
        return gettext(message, locale, **self.params) if message else ""

    def public(self, locale: str) -> dict[str, Any]:
        """The JSON shape (``niaga doctor --json``, the status page's data)."""
        return {
            "key": self.key,
            "status": self.status,
            "title": self.text("title", locale),
            "detail": self.text("detail", locale),
            "fix": self.text("fix", locale),
        }


def ordered(findings: list[Finding]) -> list[Finding]:
    """Problems first (fail, warn), then information, then what is fine."""
    return sorted(findings, key=lambda f: SEVERITY.get(f.status, 9))


def worst(findings: list[Finding]) -> str:
    """The worst status among ``findings`` ("ok" when there are none)."""
    return min((f.status for f in findings), key=lambda s: SEVERITY.get(s, 9), default="ok")
