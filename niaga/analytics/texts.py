"""The words of the dashboard and the API: each figure's name and formula, each band, each
recommendation with its evidence filled in, in the reader's language."""

from __future__ import annotations

from typing import Any

from niaga.analytics.metrics import FORMULAS
from niaga.core.i18n import gettext

NAMES = {
    "sent": "Sent",
    "received": "Received",
    "delivered": "Delivered",
    "read": "Read",
    "failed": "Failed",
    "open_rate": "Open rate",
    "response_rate": "Response rate",
    "click_rate": "Click-through rate",
    "conversion_rate": "Conversion rate",
    "orders": "Orders",
    "revenue": "Revenue",
    "csat_average": "Satisfaction (CSAT)",
    "csat_good_share": "Satisfied (4–5)",
    "first_response_median": "First response (median)",
    "first_response_business_median": "First response in opening hours (median)",
    "resolution_median": "Time to resolve (median)",
    "resolution_business_median": "Time to resolve in opening hours (median)",
    "positive_share": "Pleased messages",
    "negative_share": "Unhappy messages",
}
BANDS = {"good": "Good", "fair": "Fair", "poor": "Poor"}
RECOMMENDATIONS = {
    "failures_not_message": (
        "Only {open_rate}% were read, and {failed_share}% of the messages failed (most: "
        "{top_error}): fix delivery first; the message is not the problem."
    ),
    "low_open_rate": (
        "Only {open_rate}% were read: send at the hours your customers chat, and make the first "
        "line say what is in it for them."
    ),
    "short_personal_messages": (
        "{response_rate}% answered: shorter messages with the customer's name and one "
        "question get more replies."
    ),
    "slow_first_response": (
        "Customers waited {median_minutes} minutes for a first reply ({slow_share}% over an "
        "hour): more agents at busy hours, or quick replies for common questions."
    ),
    "low_satisfaction": (
        "Satisfaction is {csat_average} of 5: read the low ratings' chats and fix what they "
        "have in common."
    ),
    "unhappy_customers": (
        "{negative_share}% of the customers' messages sound unhappy ({negative} of {messages}): "
        "read them (the figure's link) and answer what they have in common."
    ),
    "target_what_converts": (
        "{conversion_rate}% of conversations became orders: send more to the customers and "
        "sources that buy."
    ),
}


def localise(report: dict[str, Any], locale: str) -> dict[str, Any]:
    """The report with a name, formula and band text on each figure and a text on each
    recommendation, in ``locale``."""
    for figure in report["figures"]:
        figure["name"] = gettext(NAMES[figure["key"]], locale)
        figure["formula_text"] = gettext(FORMULAS[figure["key"]], locale)
        figure["band_text"] = gettext(BANDS[figure["band"]], locale) if figure["band"] else None
    for goal in report.get("goals", []):
        goal["title"] = gettext("Conversion to {goal}", locale, goal=goal["name"])
        goal["formula_text"] = gettext(goal["formula"], locale)
        goal["band_text"] = gettext(BANDS[goal["band"]], locale) if goal["band"] else None
    for item in report["recommendations"]:
        item["text"] = gettext(RECOMMENDATIONS[item["code"]], locale, **item["evidence"])
    return report
