"""The owner's loyalty program: earning rules with caps, tiers with perks, expiry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from niaga.core.errors import DomainError
from niaga.loyalty.models import LoyaltyProgram

Source = Literal["spend", "order", "csat", "review", "referral"]


class EarningRule(BaseModel):
    """``points`` for each ``per_rupiah`` spent (source ``spend``) or for each occurrence:
    a completed order, a CSAT answer, a review (a CSAT answer with a comment), a referred
    friend's first completed order. Caps count the points of this rule per customer."""

    model_config = ConfigDict(extra="forbid")

    source: Source
    points: int = Field(ge=0, le=1_000_000)
    per_rupiah: int | None = Field(None, ge=1, le=1_000_000_000)
    max_per_day: int | None = Field(None, ge=1, le=1_000_000)
    max_per_customer: int | None = Field(None, ge=1, le=100_000_000)
    active: bool = True

    @model_validator(mode="after")
    def _spend_needs_amount(self) -> EarningRule:
        if self.source == "spend" and self.per_rupiah is None:
            raise ValueError("a spending rule needs per_rupiah (e.g. 10000)")
        if self.source != "spend":
            self.per_rupiah = None
        return self


class Tier(BaseModel):
    """A level reached with ``threshold`` points earned in the last 12 months."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    threshold: int = Field(ge=0, le=100_000_000)
    perks: str = Field("", max_length=300)


class ProgramIn(BaseModel):
    """The program as the owner sets it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    rules: list[EarningRule] = Field(default_factory=list, max_length=10)
    tiers: list[Tier] = Field(default_factory=list, max_length=10)
    expiry_months: int = Field(12, ge=0, le=120, description="0: points never expire")
    code_valid_days: int = Field(30, ge=1, le=365)
    announce_earned: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> ProgramIn:
        sources = [r.source for r in self.rules]
        if len(set(sources)) != len(sources):
            raise ValueError("one rule per source")
        self.tiers = sorted(self.tiers, key=lambda t: t.threshold)
        names = [t.name.casefold() for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must differ")
        if self.tiers and self.tiers[0].threshold != 0:
            raise ValueError("the first tier starts at 0 points")
        return self


DEFAULT = ProgramIn(
    rules=[
        EarningRule(source="spend", points=1, per_rupiah=10_000),
        EarningRule(source="order", points=0, active=False),
        EarningRule(source="csat", points=5, max_per_day=5, max_per_customer=100),
        EarningRule(source="review", points=10, max_per_day=10, max_per_customer=200),
        EarningRule(source="referral", points=50, max_per_customer=1000),
    ],
    tiers=[
        Tier(name="Perunggu", threshold=0, perks="Poin dari setiap belanja"),
        Tier(name="Perak", threshold=500, perks="Penawaran khusus anggota"),
        Tier(name="Emas", threshold=2000, perks="Gratis ongkir dan hadiah ulang tahun"),
    ],
)


def load(session: Session) -> ProgramIn:
    """The saved program, or the default one."""
    row = session.get(LoyaltyProgram, 1)
    if row is None:
        return DEFAULT.model_copy(deep=True)
    return ProgramIn(
        enabled=row.enabled,
        rules=[EarningRule.model_validate(r) for r in row.rules],
        tiers=[Tier.model_validate(t) for t in row.tiers],
        expiry_months=row.expiry_months,
        code_valid_days=row.code_valid_days,
        announce_earned=row.announce_earned,
    )


def do_save(session: Session, data: ProgramIn) -> ProgramIn:
    """Store the program (validated by :class:`ProgramIn`)."""
    if not data.tiers:
        raise DomainError("tiers_required", "Give at least one tier.", field="tiers")
    row = session.get(LoyaltyProgram, 1) or LoyaltyProgram(id=1)
    row.enabled = data.enabled
    row.rules = [r.model_dump() for r in data.rules]
    row.tiers = [t.model_dump() for t in data.tiers]
    row.expiry_months = data.expiry_months
    row.code_valid_days = data.code_valid_days
    row.announce_earned = data.announce_earned
    session.add(row)
    session.flush()
    return data


def mark_expired_through(session: Session, at: datetime) -> None:
    """Remember that every lot due by ``at`` was expired (the row is made with the defaults
    when the owner never saved a program)."""
    row = session.get(LoyaltyProgram, 1)
    if row is None:
        do_save(session, DEFAULT.model_copy(deep=True))
        row = session.get_one(LoyaltyProgram, 1)
    row.expired_through = at
    session.flush()


def rule_for(program: ProgramIn, source: str) -> EarningRule | None:
    """The active rule for ``source`` giving points, if any."""
    for rule in program.rules:
        if rule.source == source and rule.active and rule.points > 0:
            return rule
    return None


def tier_for(program: ProgramIn, points: int) -> tuple[Tier | None, Tier | None]:
    """(the tier ``points`` reach, the next tier or None)."""
    current: Tier | None = None
    following: Tier | None = None
    for tier in program.tiers:
        if points >= tier.threshold:
            current = tier
        elif following is None:
            following = tier
    return current, following
