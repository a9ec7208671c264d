"""The return on WhatsApp for a period: revenue from orders (by where they came from), new
customers, Meta's charges (the messages its status webhooks reported billable, priced with the
rate card) plus what the owner entered (ads, staff), cost per new customer, and ROI.

ROI = (revenue − costs) ÷ costs × 100 %; cost per acquisition = costs ÷ new customers, a new
customer being one whose first order (cancelled ones left out) falls in the period.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from niaga.analytics.models import OwnerCost
from niaga.analytics.periods import Period
from niaga.campaigns import pricing
from niaga.contacts.models import Contact
from niaga.core.config import Settings
from niaga.inbox.models import Message
from niaga.orders.models import Order

CANCELLED = "dibatalkan"


def roi(session: Session, period: Period, settings: Settings) -> dict[str, Any]:
    """Revenue, costs and their ratios for ``period``."""
    start, end = period.start, period.end
    sold = and_(Order.created_at >= start, Order.created_at < end, Order.status != CANCELLED)
    by_source = {
        str(source): {"orders": int(n), "revenue": int(total or 0)}
        for source, n, total in session.execute(
            select(Order.source, func.count(), func.sum(Order.total))
            .where(sold)
            .group_by(Order.source)
        )
    }
    revenue = sum(v["revenue"] for v in by_source.values())
    earlier = aliased(Order)
    new_customers = int(
        session.scalar(
            select(func.count(func.distinct(Order.contact_id))).where(
                sold,
                ~select(earlier.id)
                .where(
                    earlier.contact_id == Order.contact_id,
                    earlier.status != CANCELLED,
                    earlier.created_at < start,
                )
                .exists(),
            )
        )
        or 0
    )
    meta = _meta_charges(session, period, settings)
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


def _meta_charges(session: Session, period: Period, settings: Settings) -> dict[str, Any]:
    """What Meta charged for the period's messages: those its status webhooks reported
    billable, per country and category, priced with the rate card."""
    card = pricing.rates(session)
    counted: Counter[tuple[str, str]] = Counter()
    rows = session.execute(
        select(Contact.phone, Contact.wa_id, Message.pricing)
        .join(Contact, Contact.id == Message.contact_id)
        .where(
            Message.direction == "out",
            Message.pricing.is_not(None),
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
        .execution_options(yield_per=2000)
    )
    for phone, wa_id, billed in rows:
        if not isinstance(billed, dict) or billed.get("billable") is False:
            continue
        category = str(billed.get("category") or "marketing").lower()
        counted[(pricing.country_of(phone or (f"+{wa_id}" if wa_id else None)), category)] += 1
    cost = pricing.Cost()
    for (country, category), n in counted.items():
        pricing.add(cost, card, country, category, n, settings)
    return {"messages": sum(counted.values()), "idr": round(cost.idr), "usd": round(cost.usd, 4)}
