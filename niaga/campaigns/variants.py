"""A campaign's A/B variants and which one each customer gets."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.campaigns.models import CampaignVariant


def variants_of(session: Session, campaign_id: int) -> list[CampaignVariant]:
    """The campaign's A/B variants, by label (none: a plain campaign)."""
    return list(
        session.scalars(
            select(CampaignVariant)
            .where(CampaignVariant.campaign_id == campaign_id)
            .order_by(CampaignVariant.label)
        )
    )


def assign(arms: list[CampaignVariant], campaign_id: int, contact_id: int) -> int | None:
    """A variant for the contact: random by weight, the same on every run (a hash)."""
    if not arms:
        return None
    total = sum(max(1, a.share) for a in arms)
    point = bucket(campaign_id, contact_id, total)
    for arm in arms:
        point -= max(1, arm.share)
        if point < 0:
            return arm.id
    return arms[-1].id


def bucket(campaign_id: int, contact_id: int, size: int, salt: str = "") -> int:
    digest = hashlib.sha256(f"{campaign_id}:{contact_id}{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % size
