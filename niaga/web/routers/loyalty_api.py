"""``/api/v1/loyalty``: the program, rewards, members, a customer's points and codes, and
reward codes used on orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from niaga.contacts.models import Contact
from niaga.core.errors import NotFoundError
from niaga.loyalty import program, queries, rewards
from niaga.loyalty import service as loyalty
from niaga.loyalty.models import LoyaltyEntry, LoyaltyRedemption, LoyaltyReward
from niaga.orders import rewards as order_rewards
from niaga.orders import service as orders
from niaga.orders.schemas import OrderPublic
from niaga.web.deps import CanChangeSettings, CanRead, CanSend, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES, render_error
from niaga.web.routers.catalog_api.common import CanManage, order_public

router = APIRouter(prefix="/api/v1", tags=["loyalty"], responses=PROBLEM_RESPONSES)


class RewardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    kind: str
    value: int
    product_id: int | None
    cost_points: int
    stock: int | None
    active: bool


class EntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    points: int
    source: str | None
    order_id: int | None
    expires_at: datetime | None
    actor_user_id: int | None
    reason: str | None
    created_at: datetime


class CodePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    reward_id: int
    code: str
    points: int
    state: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_order_id: int | None
    discount: int


class TierPublic(BaseModel):
    name: str
    threshold: int
    perks: str


class PointsPublic(BaseModel):
    """A customer's standing: the balance is the sum of the history's entries."""

    contact_id: int
    balance: int
    earned_12m: int = Field(description="Points earned in the last 12 months (tiers count it)")
    tier: TierPublic | None
    next_tier: TierPublic | None
    to_next_tier: int | None
    expiring_soon: int = Field(description="Points that expire within 30 days")
    expiring_at: datetime | None
    referral_code: str | None
    history: list[EntryPublic]
    codes: list[CodePublic]


class MemberPublic(BaseModel):
    contact_id: int
    name: str
    balance: int
    earned_12m: int
    tier: str | None


class RedeemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reward_id: int


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=4, max_length=40, examples=["NG-7KQ2-MX4P"])


class CodeUsed(BaseModel):
    order: OrderPublic
    code: CodePublic
    reward: RewardPublic


def _contact(session: SessionDep, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError("contact_not_found", "Contact {id} does not exist.", id=contact_id)
    return contact


def _tier(tier: program.Tier | None) -> TierPublic | None:
    return TierPublic(**tier.model_dump()) if tier else None


@router.get("/loyalty/program", response_model=program.ProgramIn)
def read_program(session: SessionDep, token: CanRead) -> program.ProgramIn:
    """Earning rules, tiers, expiry (the default program until the owner saves one)."""
    return program.load(session)


@router.put("/loyalty/program", response_model=program.ProgramIn)
def save_program(
    data: program.ProgramIn, session: SessionDep, token: CanChangeSettings
) -> program.ProgramIn:
    return loyalty.do_save_program(session, data)


@router.get("/loyalty/rewards", response_model=list[RewardPublic])
def list_rewards(session: SessionDep, token: CanRead) -> list[LoyaltyReward]:
    return list(session.scalars(select(LoyaltyReward).order_by(LoyaltyReward.cost_points)))


@router.post("/loyalty/rewards", response_model=RewardPublic, status_code=201)
def create_reward(data: rewards.RewardIn, session: SessionDep, token: CanManage) -> LoyaltyReward:
    return rewards.do_save(session, data)


@router.put("/loyalty/rewards/{reward_id}", response_model=RewardPublic)
def update_reward(
    reward_id: int, data: rewards.RewardIn, session: SessionDep, token: CanManage
) -> LoyaltyReward:
    return rewards.do_save(session, data, rewards.get(session, reward_id))


@router.get("/loyalty/members", response_model=list[MemberPublic])
def list_members(
    session: SessionDep,
    token: CanRead,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[MemberPublic]:
    """Customers in the program, highest balance first."""
    found = queries.members(session, limit=limit, offset=offset)
    ids = [m.contact_id for m in found]
    names = {c.id: c.name for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    return [
        MemberPublic(
            contact_id=m.contact_id,
            name=names.get(m.contact_id, "?"),
            balance=m.balance,
            earned_12m=m.earned_12m,
            tier=m.tier,
        )
        for m in found
    ]


@router.get("/contacts/{contact_id}/loyalty", response_model=PointsPublic)
def read_points(contact_id: int, session: SessionDep, token: CanRead) -> PointsPublic:
    _contact(session, contact_id)
    s = queries.summary(session, contact_id, history=100)
    return PointsPublic(
        contact_id=contact_id,
        balance=s.balance,
        earned_12m=s.earned_12m,
        tier=_tier(s.tier),
        next_tier=_tier(s.next_tier),
        to_next_tier=s.to_next,
        expiring_soon=s.expiring_soon,
        expiring_at=s.expiring_at,
        referral_code=s.referral_code,
        history=[EntryPublic.model_validate(e) for e in s.history],
        codes=[CodePublic.model_validate(r) for r, _ in s.codes],
    )


@router.post("/contacts/{contact_id}/loyalty/adjust", response_model=EntryPublic, status_code=201)
def adjust_points(
    contact_id: int, data: loyalty.AdjustIn, session: SessionDep, token: CanManage
) -> LoyaltyEntry:
    """Add (positive) or take (negative) points by hand, with the reason (audited)."""
    _contact(session, contact_id)
    return loyalty.do_adjust(session, contact_id, data, actor_user_id=token.user_id)


@router.post(
    "/contacts/{contact_id}/loyalty/redemptions", response_model=CodePublic, status_code=201
)
def redeem(
    contact_id: int,
    data: RedeemIn,
    session: SessionDep,
    token: CanSend,
    idempotency_key: Annotated[str | None, Header(max_length=60)] = None,
) -> LoyaltyRedemption:
    """Spend the customer's points on a reward: a single-use code. The same
    ``Idempotency-Key`` again returns the same code."""
    _contact(session, contact_id)
    key = f"api:{token.id}:{idempotency_key}" if idempotency_key else None
    return rewards.do_redeem(
        session, contact_id, data.reward_id, key=key, actor_user_id=token.user_id
    )


@router.post("/loyalty/codes/{redemption_id}/cancel", response_model=CodePublic)
def cancel_code(redemption_id: int, session: SessionDep, token: CanManage) -> LoyaltyRedemption:
    """Withdraw an unused code: its points go back to the customer."""
    return loyalty.do_cancel_code(session, redemption_id, actor_user_id=token.user_id)


@router.post("/orders/{order_id}/reward-code", response_model=CodeUsed)
def use_code(
    order_id: int, data: CodeIn, request: Request, session: SessionDep, token: CanSend
) -> CodeUsed | Response:
    """Use a customer's reward code on their order (before it is paid). Ten wrong codes in a
    quarter of an hour hold the token back for 15 minutes (429)."""
    order = orders.get_order(session, order_id)
    claim = order_rewards.do_apply_code(
        session, order, data.code, actor=f"token:{token.id}", user_id=token.user_id
    )
    if claim.refusal is not None or claim.redemption is None or claim.reward is None:
        assert claim.refusal is not None
        return render_error(request, claim.refusal)  # returned: the wrong try is kept
    return CodeUsed(
        order=order_public(order),
        code=CodePublic.model_validate(claim.redemption),
        reward=RewardPublic.model_validate(claim.reward),
    )
