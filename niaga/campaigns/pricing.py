"""What a campaign costs at Meta: an estimate before sending, the actual after.

Since July 2025 Meta charges per delivered template message by category and the recipient's
country (FACTS.md §5): marketing always, utility only outside the customer's 24-hour window,
authentication always. The rates are data the owner keeps from Meta's published rate card
(:class:`~niaga.campaigns.models.PricingRate`, in USD or IDR); the shipped figures are 2024
estimates for Indonesia and say so. The actual cost counts the messages Meta's status webhooks
reported as billable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from niaga.campaigns.models import Campaign, CampaignRecipient, PricingRate
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.errors import DomainError
from niaga.inbox.models import Message

DEFAULT_RATES = (
    ("62", "marketing", "USD", 0.0411),
    ("62", "utility", "USD", 0.02),
    ("62", "authentication", "USD", 0.03),
    ("*", "marketing", "USD", 0.0411),
    ("*", "utility", "USD", 0.02),
    ("*", "authentication", "USD", 0.03),
)
DEFAULT_SOURCE = "estimate (2024 figures for Indonesia); copy Meta's current rate card"


@dataclass
class Cost:
    """Messages and money per (country, category), in IDR and USD."""

    lines: Counter[tuple[str, str]] = field(default_factory=Counter)
    idr: float = 0.0
    usd: float = 0.0
    unpriced: int = 0

    def as_dict(self, card: dict[tuple[str, str], PricingRate]) -> dict[str, Any]:
        lines = []
        for (country, category), n in sorted(self.lines.items()):
            rate = _rate_of(card, country, category)
            lines.append(
                {
                    "country_code": country,
                    "category": category,
                    "messages": n,
                    "rate": rate.rate if rate else None,
                    "currency": rate.currency if rate else None,
                    "source": rate.source if rate else None,
                }
            )
        return {
            "lines": lines,
            "total_idr": round(self.idr),
            "total_usd": round(self.usd, 4),
            "unpriced_messages": self.unpriced,
        }


def rates(session: Session) -> dict[tuple[str, str], PricingRate]:
    """The rate card by (calling code, category); the shipped estimates when it is empty."""
    card = {(r.country_code, r.category): r for r in session.scalars(select(PricingRate))}
    if card:
        return card
    return {
        (country, category): PricingRate(
            country_code=country,
            category=category,
            currency=currency,
            rate=rate,
            source=DEFAULT_SOURCE,
        )
        for country, category, currency, rate in DEFAULT_RATES
    }


def do_replace_rates(session: Session, rows: list[dict[str, Any]]) -> None:
    """The owner's copy of Meta's rate card replaces the previous one."""
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        key = (row["country_code"], row["category"])
        if key in seen:
            raise DomainError(
                "rate_duplicate",
                "The rate card names {category} for +{country} twice.",
                field=f"{i}.country_code",
                category=key[1],
                country=key[0],
            )
        seen.add(key)
    session.execute(delete(PricingRate))
    session.add_all(PricingRate(**row) for row in rows)
    session.flush()


def _rate_of(
    card: dict[tuple[str, str], PricingRate], country: str, category: str
) -> PricingRate | None:
    return card.get((country, category)) or card.get(("*", category))


def country_of(phone: str | None) -> str:
    """The calling code of an E.164 number ("62"), or ``*`` when unknown (calling codes are
    prefix-free, so the first one to three digits decide; a report counts 100,000 of them)."""
    digits = (phone or "").lstrip("+")
    for size in (1, 2, 3):
        code = digits[:size]
        if code.isdigit() and int(code) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code
    return "*"


FEP_REPLY = timedelta(hours=24)
FEP_WINDOW = timedelta(hours=72)


def free_entry_open(session: Session, contact_ids: Sequence[int], at: datetime) -> set[int]:
    """Contacts inside a free entry point (FACTS.md §3.4): they wrote from a Click-to-WhatsApp
    ad or a Page button, the business answered within 24 hours, and the 72 hours that answer
    opened have not passed. Every message to them is free then, templates included."""
    if not contact_ids:
        return set()
    entries = session.execute(
        select(Message.contact_id, Message.conversation_id, Message.created_at).where(
            Message.contact_id.in_(contact_ids),
            Message.direction == "in",
            Message.referral.is_not(None),
            Message.created_at >= at - FEP_REPLY - FEP_WINDOW,
        )
    ).all()
    open_now: set[int] = set()
    for contact_id, conversation_id, entered in entries:
        answered = session.scalar(
            select(func.min(Message.created_at)).where(
                Message.conversation_id == conversation_id,
                Message.direction == "out",
                Message.status != "failed",
                Message.created_at >= entered,
                Message.created_at <= clock.as_utc(entered) + FEP_REPLY,
            )
        )
        if answered is not None and clock.as_utc(at) < clock.as_utc(answered) + FEP_WINDOW:
            open_now.add(contact_id)
    return open_now


def add(
    cost: Cost,
    card: dict[tuple[str, str], PricingRate],
    country: str,
    category: str,
    n: int,
    settings: Settings,
) -> None:
    """``n`` charged messages of ``category`` to ``country``."""
    cost.lines[(country, category)] += n
    rate = _rate_of(card, country, category)
    if rate is None:
        cost.unpriced += n
        return
    usd = rate.rate if rate.currency == "USD" else rate.rate / settings.pricing_usd_idr
    cost.usd += usd * n
    cost.idr += usd * settings.pricing_usd_idr * n


def actual(session: Session, campaign: Campaign, settings: Settings) -> dict[str, Any]:
    """What Meta charges for the campaign so far: its messages Meta reported billable."""
    card = rates(session)
    cost = Cost()
    rows = session.execute(  # streamed: a 100,000-recipient campaign is not held at once
        select(Contact.phone, Contact.wa_id, Message.pricing)
        .join(CampaignRecipient, CampaignRecipient.message_id == Message.id)
        .join(Contact, Contact.id == CampaignRecipient.contact_id)
        .where(CampaignRecipient.campaign_id == campaign.id, Message.pricing.is_not(None))
        .execution_options(yield_per=2000)
    )
    for (country, category), n in billable(rows).items():
        add(cost, card, country, category, n, settings)
    return cost.as_dict(card)


def billable(rows: Iterable[Any]) -> Counter[tuple[str, str]]:
    """Messages Meta reported billable, per (calling code, category), from rows of (contact
    phone, contact wa_id, the status webhook's pricing)."""
    counted: Counter[tuple[str, str]] = Counter()
    for phone, wa_id, pricing in rows:
        if not isinstance(pricing, dict) or pricing.get("billable") is False:
            continue
        category = str(pricing.get("category") or "marketing").lower()
        counted[(country_of(phone or ("+" + wa_id if wa_id else None)), category)] += 1
    return counted
