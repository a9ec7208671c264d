"""One period's figures as the dashboard and the API show them: each figure with its formula,
its band, and its change against the previous period (or a chosen one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from niaga.analytics import goals, metrics, reading, roi, rollups, texts
from niaga.analytics.periods import Period
from niaga.core import clock
from niaga.core.config import Settings

ORDER = (
    "sent",
    "delivered",
    "read",
    "open_rate",
    "response_rate",
    "click_rate",
    "received",
    "failed",
    "orders",
    "revenue",
    "conversion_rate",
    "csat_average",
    "csat_good_share",
    "first_response_median",
    "first_response_business_median",
    "resolution_median",
    "resolution_business_median",
    "positive_share",
    "negative_share",
)


def build(
    session: Session,
    period: Period,
    against: Period | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The period's figures, compared with ``against`` (default: the period before); with
    ``settings`` (the exchange rate for Meta's charges) the return on investment too."""
    other = against or period.previous()
    now = metrics.summary(session, period)
    before = metrics.summary(session, other)
    bands = reading.bands_of(session)
    figures = [
        {
            "key": key,
            **_shown(now.figures[key], before.figures.get(key), key, bands),
            "formula": metrics.FORMULAS[key],
            "bands": bands.get(key),
        }
        for key in ORDER
    ]
    return {
        "period": _period(period),
        "goals": _goals(now, before, bands),
        "against": _period(other),
        "figures": figures,
        "failures": now.failures,
        "csat_distribution": now.csat_distribution,
        "response_buckets": now.response_buckets,
        "resolution_buckets": now.resolution_buckets,
        "per_agent": now.per_agent,
        "recommendations": [
            {"code": r.code, "evidence": r.evidence} for r in reading.recommendations(now, bands)
        ],
        "roi": roi.roi(session, period, settings, now.totals) if settings is not None else None,
        "trend": rollups.daily(
            session, period.first, min(period.last, rollups.local_day(clock.now(), period.zone))
        ),
        "refreshed_at": rollups.refreshed_at(session),
    }


def _goals(
    now: metrics.Summary, before: metrics.Summary, bands: reading.Bands
) -> list[dict[str, Any]]:
    """Each goal the owner defined: its conversions and rate, banded like the conversion rate
    of orders, and its change against the other period."""
    out = []
    for goal_id, (name, figure) in now.goals.items():
        earlier = before.goals.get(goal_id)
        shown = _shown(figure, earlier[1] if earlier else None, "conversion_rate", bands)
        out.append({"id": goal_id, "name": name, **shown, "formula": goals.FORMULA})
    return out


def _shown(
    figure: metrics.Figure, before: metrics.Figure | None, band: str, bands: reading.Bands
) -> dict[str, Any]:
    """A figure as shown: its value and parts, its band (read as ``band``'s), and its change
    against the other period's."""
    moved = reading.change(figure, before)
    return {
        "value": figure.value,
        "unit": figure.unit,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "band": reading.band(band, figure.value, bands),
        "previous": moved.previous,
        "change_points": moved.points,
        "change_percent": moved.percent,
        "significant": moved.significant,
        "p_value": None if moved.p_value is None else round(moved.p_value, 4),
    }


def for_reader(
    session: Session, period: Period, against: Period | None, settings: Settings, locale: str
) -> dict[str, Any]:
    """:func:`build` with the return on investment, in the reader's words."""
    return texts.localise(build(session, period, against, settings), locale)


def _period(p: Period) -> dict[str, str]:
    return {
        "kind": p.kind,
        "first": p.first.isoformat(),
        "last": p.last.isoformat(),
        "label": p.label(),
        "time_zone": p.zone,
    }
