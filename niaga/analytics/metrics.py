"""The guide's figures for one period, each with how it is computed.

- sent: messages the business sent that WhatsApp accepted (sent, delivered, read);
- open rate = read / sent × 100 %;
- response rate = business-initiated messages (templates) answered by the customer within
  24 hours / business-initiated messages × 100 %;
- click-through rate = campaign recipients who clicked / campaign recipients sent × 100 %;
- conversion rate = orders / conversations the customer wrote in × 100 %, and the same for
  each goal the owner defines (:mod:`niaga.analytics.goals`);
- CSAT: the average rating, the share of 4–5 and the distribution;
- first response time: from the customer's first unanswered message to a person's reply,
  the median and buckets (< 1 h, 1–4 h, 4–8 h, 8–24 h, > 24 h), in clock hours;
- failures by Meta's error code; orders and revenue (cancelled orders left out).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.analytics import chat_counts, goals, rollups, timing
from niaga.analytics.models import ResolutionTime, ResponseWait
from niaga.analytics.periods import Period
from niaga.automation.models import CsatSurvey
from niaga.security.models import User

# How each figure is computed, as the page's footnote says it (translated there).
FORMULAS = {
    "sent": "Messages the business sent that WhatsApp accepted (sent, delivered or read).",
    "received": "Messages customers sent.",
    "delivered": "Sent messages that reached the customer's phone.",
    "read": "Sent messages the customer opened.",
    "failed": "Messages WhatsApp refused or could not deliver.",
    "open_rate": "Read ÷ sent × 100 %.",
    "response_rate": (
        "Messages the business started (templates) that the customer answered within "
        "24 hours ÷ those messages × 100 %."
    ),
    "click_rate": "Campaign recipients who opened their link ÷ campaign recipients sent × 100 %.",
    "conversion_rate": "Orders ÷ conversations the customer wrote in × 100 %.",
    "orders": "Orders made in the period, cancelled ones left out.",
    "revenue": "The total of those orders, in rupiah.",
    "csat_average": "The average of the satisfaction ratings answered (1 to 5).",
    "csat_good_share": "Ratings of 4 or 5 ÷ ratings × 100 %.",
    "first_response_median": (
        "Half the customers waited less than this for a person's first reply (clock time)."
    ),
    "first_response_business_median": (
        "The same wait counting only the opening hours (nights, closed days and holidays left out)."
    ),
    "resolution_median": (
        "Half the chats resolved took less than this from the customer's first message since "
        "the chat was last resolved (clock time)."
    ),
    "resolution_business_median": "The same time counting only the opening hours.",
    "positive_share": (
        "Customers' written messages that sound pleased ÷ their written messages × 100 % "
        "(read by Niaga's Indonesian and English lexicon, slang and emoji included)."
    ),
    "negative_share": (
        "Customers' written messages that sound unhappy ÷ their written messages × 100 %."
    ),
}


@dataclass(frozen=True)
class Figure:
    """One figure: its value and, for a rate, what it is made of."""

    key: str
    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    unit: str = "count"  # count | percent | rating | seconds | idr


@dataclass
class Summary:
    """Every figure of a period, with the breakdowns behind some of them."""

    period: Period
    figures: dict[str, Figure] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    csat_distribution: dict[int, int] = field(default_factory=dict)
    response_buckets: dict[str, int] = field(default_factory=dict)
    resolution_buckets: dict[str, int] = field(default_factory=dict)
    per_agent: list[dict[str, Any]] = field(default_factory=list)
    # the rollups' sums of the period (metric, key) → value, for what else reads them
    totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    # the owner's own conversion goals: id → (name, conversions ÷ chats)
    goals: dict[int, tuple[str, Figure]] = field(default_factory=dict)
    # each person's median first response (whole seconds)
    agent_medians: dict[int, int | None] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        figure = self.figures.get(key)
        return figure.value if figure else None


def percent(part: int, whole: int) -> float | None:
    """``part`` ÷ ``whole`` × 100, to one decimal (None without a whole)."""
    return round(part / whole * 100, 1) if whole else None


def _rate(key: str, part: int, whole: int) -> Figure:
    return Figure(key, percent(part, whole), part, whole, "percent")


def _count(key: str, n: int | None, unit: str = "count") -> Figure:
    return Figure(key, float(n or 0), unit=unit)


def summary(session: Session, period: Period) -> Summary:
    """Every figure of ``period``: the message, order and campaign figures from the daily
    rollups (:mod:`niaga.analytics.rollups`), ratings and waits from their own records."""
    out = Summary(period)
    totals = out.totals = rollups.sums(session, period.first, period.last)
    sent, read = totals["accepted", ""], totals["read", ""]
    out.failures = {key: n for (metric, key), n in totals.items() if metric == "failed" and n}
    orders, revenue = totals["orders", ""], totals["revenue", ""]
    distinct = chat_counts.distinct(session, period.first, period.last)
    chats = distinct.get(chat_counts.CUSTOMER, 0)
    figures = [
        _count("sent", sent),
        _count("received", totals["received", ""]),
        _count("delivered", totals["delivered", ""]),
        _count("read", read),
        _count("failed", sum(out.failures.values())),
        _rate("open_rate", read, sent),
        _rate("response_rate", totals["templates_answered", ""], totals["templates", ""]),
        _rate("click_rate", totals["recipients_clicked", ""], totals["recipients_sent", ""]),
        _count("orders", orders),
        _count("revenue", revenue, "idr"),
        _rate("conversion_rate", orders, chats),
    ]
    toned = sum(n for (metric, _), n in totals.items() if metric == "tone")
    figures += [
        _rate("positive_share", totals["tone", "positive"], toned),
        _rate("negative_share", totals["tone", "negative"], toned),
    ]
    figures += _csat(session, period, out)
    kept = rollups.kept_times(session, period.first, period.last)
    figures += _first_response(session, period, kept, out)
    figures += _resolution(session, period, kept, out)
    out.figures = {f.key: f for f in figures}
    out.goals = {
        g.id: (g.name, _rate(f"goal_{g.id}", totals[goals.METRIC, str(g.id)], chats))
        for g in goals.all_goals(session)
    }
    out.per_agent = _per_agent(session, distinct, totals, out.agent_medians)
    return out


def _csat(session: Session, period: Period, out: Summary) -> list[Figure]:
    rows = session.execute(
        select(CsatSurvey.rating, func.count())
        .where(
            CsatSurvey.rating.is_not(None),
            CsatSurvey.answered_at >= period.start,
            CsatSurvey.answered_at < period.end,
        )
        .group_by(CsatSurvey.rating)
    ).all()
    out.csat_distribution = {score: 0 for score in range(1, 6)} | {
        int(rating): int(n) for rating, n in rows
    }
    total = sum(out.csat_distribution.values())
    points = sum(score * n for score, n in out.csat_distribution.items())
    good = out.csat_distribution[4] + out.csat_distribution[5]
    average = round(points / total, 2) if total else None
    return [
        Figure("csat_average", average, points, total, "rating"),
        _rate("csat_good_share", good, total),
    ]


def _first_response(
    session: Session, period: Period, kept: rollups.KeptTimes | None, out: Summary
) -> list[Figure]:
    """The waits for a person's first reply: clock time, and business time by the profile's
    opening hours and holidays (worked out by the rollups); an ended week's or month's as
    ``kept`` by the rollups."""
    if kept is not None:
        out.agent_medians = kept.agents
        return _timed("first_response", kept.first_response, out.response_buckets)
    medians = rollups.wait_medians(session, ResponseWait.user_id, period.first, period.last)
    out.agent_medians = {int(u): m for u, m in medians.items() if u is not None}
    found = rollups.time_stats(session, ResponseWait, period.first, period.last)
    return _timed("first_response", found, out.response_buckets)


def _resolution(
    session: Session, period: Period, kept: rollups.KeptTimes | None, out: Summary
) -> list[Figure]:
    """How long chats took to resolve, from the customer's first message since the chat's
    previous resolution: medians in clock time and in opening hours, and buckets."""
    found = (
        kept.resolution
        if kept is not None
        else rollups.time_stats(session, ResolutionTime, period.first, period.last)
    )
    return _timed("resolution", found, out.resolution_buckets)


def _timed(name: str, found: dict[str, int | None], buckets: dict[str, int]) -> list[Figure]:
    """The figures ``<name>_median`` and ``<name>_business_median`` of
    :func:`timing.stats`; its buckets into ``buckets``."""
    buckets.update({b: int(found.get(b) or 0) for b in timing.BUCKET_NAMES})
    n = int(found.get("n") or 0)
    return [
        Figure(f"{name}_median", found.get("median"), None, n, "seconds"),
        Figure(f"{name}_business_median", found.get("business_median"), None, n, "seconds"),
    ]


def _per_agent(
    session: Session,
    distinct: dict[int, int],
    totals: Counter[tuple[str, str]],
    medians: dict[int, int | None],
) -> list[dict[str, Any]]:
    """Chats each person answered in the period (``distinct``: per person, the customer as
    0), their median first response, and the tone of the customers' messages in those chats
    on the days they answered."""
    chats = {u: n for u, n in distinct.items() if u != chat_counts.CUSTOMER}
    tones: dict[int, Counter[str]] = defaultdict(Counter)
    for (metric, key), n in totals.items():
        if metric == "tone_agent" and n:
            user, _, tone = key.partition("|")
            tones[int(user)][tone] += n
    people = sorted(set(chats) | set(medians))
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(people))).all())
    return [
        {
            "user_id": user_id,
            "name": names.get(user_id),
            "chats": int(chats.get(user_id, 0)),
            "first_response_median": medians.get(user_id),
            "positive_share": percent(tones[user_id]["positive"], sum(tones[user_id].values())),
            "negative_share": percent(tones[user_id]["negative"], sum(tones[user_id].values())),
        }
        for user_id in people
    ]
