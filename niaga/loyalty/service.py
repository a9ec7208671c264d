"""Loyalty commands people make (audited): the program, a hand adjustment, a withdrawn code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from niaga.core.errors import DomainError, NotFoundError
from niaga.loyalty import ledger, program, rewards
from niaga.loyalty.models import LoyaltyEntry, LoyaltyRedemption
from niaga.security import audit


class AdjustIn(BaseModel):
    """Points added (positive) or taken (negative) by hand, and why."""

    model_config = ConfigDict(extra="forbid")

    points: int = Field(ge=-10_000_000, le=10_000_000)
    reason: str = Field(min_length=3, max_length=300, examples=["Bonus ulang tahun"])


def do_save_program(session: Session, data: program.ProgramIn) -> program.ProgramIn:
    saved = program.do_save(session, data)
    audit.record(session, "loyalty.program", details=data.model_dump(mode="json"))
    return saved


def do_adjust(
    session: Session, contact_id: int, data: AdjustIn, *, actor_user_id: int | None
) -> LoyaltyEntry:
    """Add or take points by hand; taking more than the customer holds is refused."""
    if data.points == 0:
        raise DomainError("points_zero", "Give a number of points other than 0.", field="points")
    if data.points > 0:
        entry = ledger.do_credit(
            session,
            contact_id,
            "adjusted_in",
            data.points,
            expires_at=ledger.expiry_for(program.load(session).expiry_months),
            actor_user_id=actor_user_id,
            reason=data.reason,
        )
    else:
        entry = ledger.do_debit(
            session,
            contact_id,
            "adjusted_out",
            -data.points,
            actor_user_id=actor_user_id,
            reason=data.reason,
        )
    assert entry is not None
    audit.record(
        session,
        "loyalty.adjusted",
        target=("contact", contact_id),
        details={"points": data.points, "reason": data.reason},
    )
    return entry


def redemption(session: Session, redemption_id: int) -> LoyaltyRedemption:
    found = session.get(LoyaltyRedemption, redemption_id)
    if found is None:
        raise NotFoundError("code_not_found", "Not found.")
    return found


def do_cancel_code(
    session: Session, redemption_id: int, *, actor_user_id: int | None
) -> LoyaltyRedemption:
    found = rewards.do_cancel(
        session, redemption(session, redemption_id), actor_user_id=actor_user_id
    )
    audit.record(
        session,
        "loyalty.code_cancelled",
        target=("contact", found.contact_id),
        details={"code": found.code, "points": found.points},
    )
    return found
