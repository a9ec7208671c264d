"""Filling a template's parameters for each recipient, and what to do when a value is missing.

Each parameter takes its value from the customer (name, first name, phone, an attribute), their
latest order (number, total) or a fixed text. When the customer has no value, the parameter
uses its fallback text, or the customer is skipped with the reason (the owner chooses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from niaga.channels.template_definition import PARAMETER
from niaga.contacts.models import Contact
from niaga.core.i18n import format_idr
from niaga.loyalty.models import LoyaltyEntry
from niaga.orders.models import Order

Source = Literal[
    "name",
    "first_name",
    "phone",
    "attribute",
    "last_order",
    "last_order_total",
    "points",
    "text",
]


class ParameterValue(BaseModel):
    """Where a parameter's value comes from, and the rule when a customer has none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    key: str | None = Field(None, max_length=64, description="The attribute, for 'attribute'")
    text: str | None = Field(None, max_length=500, description="The value, for 'text'")
    fallback: str | None = Field(None, max_length=500)
    if_missing: Literal["fallback", "skip"] = "fallback"


@dataclass(frozen=True)
class Filled:
    """One recipient's message, or why they are skipped."""

    contact_id: int
    name: str
    phone: str | None
    values: dict[str, str]
    text: str | None
    skipped: str | None = None


def _last_orders(session: Session, contact_ids: list[int]) -> dict[int, Order]:
    if not contact_ids:
        return {}
    newest = (
        select(Order.contact_id, func.max(Order.id).label("order_id"))
        .where(Order.contact_id.in_(contact_ids), Order.status != "dibatalkan")
        .group_by(Order.contact_id)
        .subquery()
    )
    rows = session.scalars(select(Order).join(newest, Order.id == newest.c.order_id))
    return {o.contact_id: o for o in rows}


def _balances(session: Session, contact_ids: list[int]) -> dict[int, int]:
    """Each customer's loyalty points now (the sum of their ledger)."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(LoyaltyEntry.contact_id, func.sum(LoyaltyEntry.points))
        .where(LoyaltyEntry.contact_id.in_(contact_ids))
        .group_by(LoyaltyEntry.contact_id)
    )
    return {contact_id: int(total or 0) for contact_id, total in rows}


def _value(
    contact: Contact, order: Order | None, how: ParameterValue, points: int | None = None
) -> str | None:
    match how.source:
        case "name":
            found = contact.display_name or contact.profile_name
        case "first_name":
            full = contact.display_name or contact.profile_name or ""
            found = full.split()[0] if full.split() else None
        case "phone":
            found = contact.phone
        case "attribute":
            raw = (contact.attributes or {}).get(how.key or "")
            found = str(raw) if raw not in (None, "") else None
        case "last_order":
            found = f"#{order.number}" if order else None
        case "last_order_total":
            found = format_idr(order.total) if order else None
        case "points":
            found = str(points or 0)
        case _:
            found = how.text
    return found.strip() if found and found.strip() else None


def fill(
    session: Session,
    contact_ids: list[int],
    texts: list[str | None],
    params: dict[str, ParameterValue],
) -> list[Filled]:
    """Each recipient's texts (header, body…) with every parameter filled, or skipped."""
    contacts = {
        c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))
    }
    orders = _last_orders(session, contact_ids)
    balances = (
        _balances(session, contact_ids)
        if any(p.source == "points" for p in params.values())
        else {}
    )
    wanted = list(dict.fromkeys(p for t in texts for p in PARAMETER.findall(t or "")))
    out: list[Filled] = []
    for contact_id in contact_ids:
        contact = contacts.get(contact_id)
        if contact is None:
            continue
        values: dict[str, str] = {}
        skipped = None
        for name in wanted:
            how = params.get(name)
            found = (
                _value(contact, orders.get(contact_id), how, balances.get(contact_id))
                if how
                else None
            )
            if found is None and how is not None and how.if_missing == "fallback":
                found = how.fallback
            if found is None:
                skipped = f"no value for {{{{{name}}}}}"
                break
            values[name] = found
        text = None if skipped else "\n".join(_filled(t, values) for t in texts if t)
        out.append(Filled(contact_id, contact.name, contact.phone, values, text, skipped))
    return out


def _filled(text: str, values: dict[str, str]) -> str:
    return PARAMETER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
