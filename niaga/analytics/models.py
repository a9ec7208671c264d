"""What the owner spends besides Meta's charges (ads, staff, other), for the return on it.

The only table analytics writes: its own figures, never the other domains' records."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from niaga.core.db import Base, Timestamps

COST_KINDS = ("ads", "staff", "other")


class OwnerCost(Timestamps, Base):
    """A cost on a local day of the business, in rupiah."""

    __tablename__ = "owner_costs"
    __table_args__ = (Index("ix_owner_costs_spent_on", "spent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spent_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # ads | staff | other
    amount: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class FigureBand(Base):
    """The business's own band for a figure (the guide's when none is kept): at or above
    ``good`` is good, at or below ``poor`` is poor, between is fair."""

    __tablename__ = "analytics_bands"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    good: Mapped[float] = mapped_column(Float)
    poor: Mapped[float] = mapped_column(Float)
