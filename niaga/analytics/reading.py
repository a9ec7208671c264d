"""What the figures mean: the guide's bands beside each rate, the change against another
period (and whether it is more than chance), and recommendations with their evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.analytics.metrics import Figure, Summary
from niaga.analytics.models import FigureBand
from niaga.campaigns.abtest import Arm, z_test
from niaga.core.errors import DomainError
from niaga.security import audit

# The guide's bands: (good from, poor up to). Between the two is fair.
Bands = dict[str, tuple[float, float]]
BANDS: Bands = {
    "open_rate": (75.0, 20.0),
    "response_rate": (60.0, 15.0),
    "conversion_rate": (10.0, 2.0),
    "csat_average": (4.5, 3.0),
}
MANY_FAILURES = 5.0  # per cent of attempts


def bands_of(session: Session) -> Bands:
    """The guide's bands with the business's own in their place where it set them."""
    own = {b.key: (b.good, b.poor) for b in session.scalars(select(FigureBand))}
    return {key: own.get(key, value) for key, value in BANDS.items()}


def do_set_bands(session: Session, changes: dict[str, tuple[float, float]]) -> Bands:
    """Keep the business's bands (``good`` above ``poor``; a rate within 0–100, CSAT 1–5)."""
    for key, (good, poor) in changes.items():
        if key not in BANDS:
            raise DomainError("band_unknown", "No band for {key}.", field="key", key=key)
        top = 5.0 if key == "csat_average" else 100.0
        low = 1.0 if key == "csat_average" else 0.0
        if not low <= poor < good <= top:
            raise DomainError(
                "band_range",
                "The good mark must be above the poor one, both within {low}–{top}.",
                field=key,
                low=low,
                top=top,
            )
        band_row = session.get(FigureBand, key) or FigureBand(key=key)
        band_row.good, band_row.poor = good, poor
        session.add(band_row)
    session.flush()
    if changes:
        audit.record(
            session,
            "settings.changed",
            target=("settings", "bands"),
            details={"fields": sorted(changes)},
        )
    return bands_of(session)


SLOW_FIRST_RESPONSE = 3600  # seconds
UNHAPPY_SHARE = 15.0  # per cent of the customers' written messages
UNHAPPY_MIN_MESSAGES = 20  # fewer say too little
ALPHA = 0.05


def band(
    key: str, value: float | None, bands: dict[str, tuple[float, float]] = BANDS
) -> str | None:
    """good, fair or poor by the guide's bands (None: no band, or no value)."""
    if value is None or key not in bands:
        return None
    good, poor = bands[key]
    if value >= good:
        return "good"
    if value <= poor:
        return "poor"
    return "fair"


@dataclass(frozen=True)
class Change:
    """A figure against another period's."""

    previous: float | None
    points: float | None  # the difference (percentage points for a rate)
    percent: float | None  # relative to the previous value
    significant: bool | None  # for rates: a two-proportion test at 5 %; None when not a rate
    p_value: float | None


def change(now: Figure, before: Figure | None) -> Change:
    """How ``now`` moved from ``before``."""
    if before is None or before.value is None or now.value is None:
        return Change(before.value if before else None, None, None, None, None)
    points = round(now.value - before.value, 2)
    percent = round(points / before.value * 100, 1) if before.value else None
    significant = p = None
    if now.unit == "percent" and now.denominator and before.denominator:
        _, p = z_test(
            Arm("now", now.numerator or 0, now.denominator),
            Arm("before", before.numerator or 0, before.denominator),
        )
        significant = p < ALPHA
    return Change(before.value, points, percent, significant, p)


@dataclass(frozen=True)
class Recommendation:
    """Something to do, and the figures that suggest it."""

    code: str
    evidence: dict[str, Any]


def recommendations(
    s: Summary, bands: dict[str, tuple[float, float]] = BANDS
) -> list[Recommendation]:
    """The guide's advice the figures call for, each with its evidence."""
    out: list[Recommendation] = []
    sent = int(s.value("sent") or 0)
    failed = int(s.value("failed") or 0)
    attempts = sent + failed
    failure_share = round(failed / attempts * 100, 1) if attempts else 0.0
    open_rate = s.value("open_rate")
    if band("open_rate", open_rate, bands) == "poor":
        top = max(s.failures.items(), key=lambda kv: kv[1])[0] if s.failures else None
        if failure_share >= MANY_FAILURES:
            out.append(
                Recommendation(
                    "failures_not_message",
                    {"open_rate": open_rate, "failed_share": failure_share, "top_error": top},
                )
            )
        else:
            out.append(Recommendation("low_open_rate", {"open_rate": open_rate}))
    response = s.value("response_rate")
    if band("response_rate", response, bands) in ("poor", "fair") and response is not None:
        out.append(Recommendation("short_personal_messages", {"response_rate": response}))
    wait = s.value("first_response_median")
    if wait is not None and wait > SLOW_FIRST_RESPONSE:
        out.append(
            Recommendation(
                "slow_first_response",
                {"median_minutes": round(wait / 60), "slow_share": _slow_share(s)},
            )
        )
    csat = s.value("csat_average")
    if band("csat_average", csat, bands) == "poor":
        out.append(Recommendation("low_satisfaction", {"csat_average": csat}))
    unhappy = s.figures.get("negative_share")
    if (
        unhappy is not None
        and unhappy.value is not None
        and unhappy.value >= UNHAPPY_SHARE
        and (unhappy.denominator or 0) >= UNHAPPY_MIN_MESSAGES
    ):
        out.append(
            Recommendation(
                "unhappy_customers",
                {
                    "negative_share": unhappy.value,
                    "negative": unhappy.numerator,
                    "messages": unhappy.denominator,
                },
            )
        )
    conversion = s.value("conversion_rate")
    if band("conversion_rate", conversion, bands) == "good":
        out.append(Recommendation("target_what_converts", {"conversion_rate": conversion}))
    return out


def _slow_share(s: Summary) -> float:
    total = sum(s.response_buckets.values())
    slow = total - s.response_buckets.get("lt_1h", 0)
    return round(slow / total * 100, 1) if total else 0.0
