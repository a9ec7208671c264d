"""The return on WhatsApp for a period: revenue from orders (by where they came from), new
customers, Meta's charges (the messages its status webhooks reported billable, priced with the
rate card) plus what the owner entered (ads, staff), cost per new customer, and ROI.

ROI = (revenue − costs) ÷ costs × 100 %; cost per acquisition = costs ÷ new customers, a new
customer being one whose first order (cancelled ones left out) falls in the period.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.analytics import rollups
from niaga.analytics.models import OwnerCost
from niaga.analytics.periods import Period
from niaga.campaigns import pricing
from niaga.core.config import Settings


def roi(
    session: Session,
    period: Period,
    settings: Settings,
    totals: Counter[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Revenue, costs and their ratios for ``period`` (``totals``: the rollups' sums of the
    period when already read)."""
    if totals is None:
        totals = rollups.sums(session, period.first, period.last)
    by_source = {
        key: {"orders": n, "revenue": totals["revenue_source", key]}
        for (metric, key), n in sorted(totals.items())
        if metric == "orders_source"
    }
    revenue = sum(v["revenue"] for v in by_source.values())
    new_customers = totals["new_customers", ""]  # each one on the day of their first order
    meta = _meta_charges(session, totals, settings)
    owner = {
        str(kind): int(total or 0)
        for kind, total in session.execute(
            select(OwnerCost.kind, func.sum(OwnerCost.amount))
            .where(OwnerCost.spent_on >= period.first, OwnerCost.spent_on <= period.last)
            .group_by(OwnerCost.kind)
        )
    }
    costs = meta["idr"] + sum(owner.values())
    return {
        "revenue": revenue,
        "by_source": by_source,
        "new_customers": new_customers,
        "meta_charges": meta,
        "owner_costs": owner,
        "costs": costs,
        "profit": revenue - costs,
        "roi_percent": round((revenue - costs) / costs * 100, 1) if costs else None,
        "cost_per_acquisition": round(costs / new_customers) if new_customers and costs else None,
    }


def _meta_charges(
    session: Session, totals: Counter[tuple[str, str]], settings: Settings
) -> dict[str, Any]:
    """What Meta charged for the period's messages: those its status webhooks reported
    billable (counted per country and category in the rollups), priced with the rate card."""
    card = pricing.rates(session)
    cost = pricing.Cost()
    counted = 0
    for (metric, key), n in totals.items():
        if metric == "billable" and n:
            country, _, category = key.partition("|")
            pricing.add(cost, card, country, category, n, settings)
            counted += n
    return {"messages": counted, "idr": round(cost.idr), "usd": round(cost.usd, 4)}
