"""The rewards catalog and redemption: points become a unique, unguessable, single-use code
with an expiry, which an agent (or the API) then uses on an order."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from niaga.catalog.models import Product
from niaga.core import clock
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.core.tokens import readable_code
from niaga.loyalty import ledger, program
from niaga.loyalty.models import LoyaltyRedemption, LoyaltyReward

CODE_LENGTH = 8  # 32^8 = 2^40 codes (core.tokens.READABLE)


class RewardIn(BaseModel):
    """A reward as the owner writes it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, examples=["Diskon Rp25.000"])
    description: str | None = Field(None, max_length=200)
    kind: Literal["discount_amount", "discount_percent", "free_product", "gift"]
    value: int = Field(0, ge=0, le=1_000_000_000, description="Rupiah, or percent (1-100)")
    product_id: int | None = None
    cost_points: int = Field(ge=1, le=100_000_000)
    stock: int | None = Field(None, ge=0, le=10_000_000, description="None: unlimited")
    active: bool = True

    @model_validator(mode="after")
    def _fits_kind(self) -> RewardIn:
        if self.kind == "discount_amount" and self.value < 1:
            raise ValueError("a discount in Rupiah needs a value")
        if self.kind == "discount_percent" and not 1 <= self.value <= 100:
            raise ValueError("a percentage discount is 1 to 100")
        if self.kind == "free_product" and self.product_id is None:
            raise ValueError("a free product names the product")
        return self


def new_code() -> str:
    """``NG-7KQ2-MX4P``: 40 random bits from the system's CSPRNG."""
    raw = readable_code(CODE_LENGTH)
    return f"NG-{raw[:4]}-{raw[4:]}"


def normalise(code: str) -> str:
    """What a person typed (``ng 7kq2 mx4p``) in the stored form."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    raw = raw.removeprefix("NG")
    return f"NG-{raw[:4]}-{raw[4:]}" if len(raw) == CODE_LENGTH else code.strip().upper()[:24]


def get(session: Session, reward_id: int) -> LoyaltyReward:
    reward = session.get(LoyaltyReward, reward_id)
    if reward is None:
        raise NotFoundError("reward_not_found", "Reward {id} does not exist.", id=reward_id)
    return reward


def available(session: Session) -> list[LoyaltyReward]:
    """Active rewards with stock, cheapest first."""
    return list(
        session.scalars(
            select(LoyaltyReward)
            .where(
                LoyaltyReward.active.is_(True),
                or_(LoyaltyReward.stock.is_(None), LoyaltyReward.stock > 0),
            )
            .order_by(LoyaltyReward.cost_points, LoyaltyReward.id)
        )
    )


def do_save(session: Session, data: RewardIn, reward: LoyaltyReward | None = None) -> LoyaltyReward:
    """Create or change a reward (a free product names a product of the catalog)."""
    if data.product_id is not None and (
        data.product_id >= 2**31 or session.get(Product, data.product_id) is None
    ):
        raise DomainError(
            "product_not_found",
            "Product {id} does not exist.",
            field="product_id",
            id=data.product_id,
        )
    reward = reward or LoyaltyReward()
    for key, value in data.model_dump().items():
        setattr(reward, key, value)
    session.add(reward)
    session.flush()
    return reward


def do_redeem(
    session: Session,
    contact_id: int,
    reward_id: int,
    *,
    key: str | None = None,
    actor_user_id: int | None = None,
) -> LoyaltyRedemption:
    """Spend the reward's points for a code (one per ``key``: asking twice gives the same
    code). Refused when the reward is inactive, out of stock, or the points are short."""
    if key is not None:
        done = session.scalars(
            select(LoyaltyRedemption).where(LoyaltyRedemption.key == key)
        ).first()
        if done is not None:
            return done
    reward = get(session, reward_id)
    if not reward.active:
        raise ConflictError("reward_inactive", "{name} is not offered now.", name=reward.name)
    ledger.account(session, contact_id)  # the lock first: the balance check holds to commit
    held = ledger.balance(session, contact_id)
    if held < reward.cost_points:
        raise ledger.NotEnoughPoints(
            "not_enough_points",
            "Not enough points: {held} held, {wanted} needed.",
            held=held,
            wanted=reward.cost_points,
        )
    if reward.stock is not None:
        taken = session.execute(
            update(LoyaltyReward)
            .where(LoyaltyReward.id == reward.id, LoyaltyReward.stock > 0)
            .values(stock=LoyaltyReward.stock - 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise ConflictError("reward_out_of_stock", "{name} is out of stock.", name=reward.name)
        session.refresh(reward, ["stock"])
    debit = ledger.do_debit(
        session,
        contact_id,
        "redeemed",
        reward.cost_points,
        actor_user_id=actor_user_id,
        reason=reward.name,
    )
    assert debit is not None
    days = program.load(session).code_valid_days
    for _attempt in range(10):
        redemption = LoyaltyRedemption(
            contact_id=contact_id,
            reward_id=reward.id,
            code=new_code(),
            points=reward.cost_points,
            key=key,
            debit_id=debit.id,
            issued_at=clock.now(),
            expires_at=clock.now() + timedelta(days=days),
        )
        try:
            with session.begin_nested():
                session.add(redemption)
                session.flush()
            return redemption
        except IntegrityError:
            if (
                key is not None
                and session.scalars(
                    select(LoyaltyRedemption).where(LoyaltyRedemption.key == key)
                ).first()
            ):
                raise ConflictError(
                    "redemption_in_progress", "This redemption is already made."
                ) from None
    raise RuntimeError("could not draw a free code")


def do_cancel(
    session: Session, redemption: LoyaltyRedemption, *, actor_user_id: int | None
) -> LoyaltyRedemption:
    """Withdraw an unused code: its points come back (a fresh lot) and so does the stock."""
    if redemption.state != "issued":
        raise ConflictError(
            "code_not_open",
            "Code {reward_code} is no longer open.",
            reward_code=redemption.code,
        )
    redemption.state = "cancelled"
    ledger.do_credit(
        session,
        redemption.contact_id,
        "refunded",
        redemption.points,
        expires_at=ledger.expiry_for(program.load(session).expiry_months),
        key=f"refund:{redemption.id}",
        actor_user_id=actor_user_id,
        reason=f"code {redemption.code} cancelled",
    )
    reward = session.get(LoyaltyReward, redemption.reward_id)
    if reward is not None and reward.stock is not None:
        reward.stock += 1
    session.flush()
    return redemption


def do_expire_codes(session: Session, limit: int = 1000) -> int:
    """Issued codes past their date become expired (their points stay spent)."""
    result = session.execute(
        update(LoyaltyRedemption)
        .where(
            LoyaltyRedemption.state == "issued",
            LoyaltyRedemption.expires_at <= clock.now(),
        )
        .values(state="expired")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
