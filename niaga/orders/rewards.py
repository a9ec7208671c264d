"""Reward codes on orders: an agent (or the API) types the customer's code and the order gets
its reward — a discount in Rupiah or percent, a free product line, or a gift line. Only before
the order is paid (amounts are fixed from then on), once per code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.catalog.models import Product
from niaga.catalog.service import do_adjust_stock
from niaga.core.errors import ConflictError
from niaga.loyalty import codes
from niaga.loyalty.models import LoyaltyRedemption, LoyaltyReward
from niaga.orders.models import Order, OrderItem
from niaga.orders.service import RANK, recalculate_totals

GIFT_SKU = "HADIAH"


def do_apply_code(
    session: Session, order: Order, code: str, *, actor: str, user_id: int | None
) -> codes.Claim:
    """Use ``code`` on ``order``; the claim says what it gave, or why not (returned, not
    raised, so that a wrong code is counted against ``actor`` when the caller commits)."""
    if RANK[order.status] >= RANK["dibayar"]:
        raise ConflictError(
            "order_locked", "Amounts cannot change once the order is paid, shipped or closed."
        )
    claim = codes.do_claim(
        session, code, contact_id=order.contact_id, order_id=order.id, actor=actor, user_id=user_id
    )
    if claim.refusal is not None or claim.reward is None or claim.redemption is None:
        return claim
    reward, redemption = claim.reward, claim.redemption
    if reward.kind in ("free_product", "gift"):
        _add_line(session, order, reward)
    else:  # the order's totals are kept current by every change
        room = max(0, order.subtotal + order.shipping_fee - order.discount)
        redemption.discount = min(
            codes.discount_of(reward, order.subtotal, order.shipping_fee), room
        )
        order.discount += redemption.discount
    recalculate_totals(order)
    session.flush()
    return claim


def _add_line(session: Session, order: Order, reward: LoyaltyReward) -> None:
    product = session.get(Product, reward.product_id) if reward.product_id else None
    item = OrderItem(
        order_id=order.id,
        product_id=product.id if product else None,
        sku=product.sku if product else GIFT_SKU,
        name=f"{reward.name} (hadiah)"[:200],
        quantity=1,
        unit_price=0,
        line_total=0,
    )
    if product is not None and product.stock is not None:
        item.short_quantity = 0 if product.stock >= 1 else 1
        do_adjust_stock(session, product, -1)
    session.add(item)
    session.flush()
    session.refresh(order, ["items"])


def codes_on(session: Session, order_id: int) -> list[tuple[LoyaltyRedemption, LoyaltyReward]]:
    """The reward codes an order used."""
    return list(
        session.execute(
            select(LoyaltyRedemption, LoyaltyReward)
            .join(LoyaltyReward, LoyaltyReward.id == LoyaltyRedemption.reward_id)
            .where(LoyaltyRedemption.used_order_id == order_id)
            .order_by(LoyaltyRedemption.id)
        )
    )
