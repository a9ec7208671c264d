"""Points and codes around orders: granted at "selesai" with the status change, taken back on a
later cancellation, caps, one award per order however often it is retried, and a code that 50
simultaneous attempts use exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from niaga.catalog import service as catalog
from niaga.catalog.schemas import ProductCreate
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import ConflictError
from niaga.inbox.models import Conversation
from niaga.loyalty import earning, guard, ledger, program, rewards
from niaga.loyalty.models import LoyaltyEntry, LoyaltyRedemption
from niaga.orders import rewards as order_rewards
from niaga.orders import service as orders
from niaga.orders.schemas import OrderCreate, OrderItemIn, StatusChangeIn
from tests.conftest import make_settings


@pytest.fixture
def settings(database_url: str) -> Any:
    return make_settings(database_url, 1)


@pytest.fixture
def conversation_id(factory: Any) -> int:
    with transaction(factory) as s:
        contact = Contact(wa_id="6281234500077", phone="+6281234500077", profile_name="Rina")
        conversation = Conversation(
            contact=contact, phone_number_id="106540352242922", last_inbound_at=clock.now()
        )
        s.add(conversation)
        catalog.do_create_product(s, ProductCreate(sku="KOPI-1", name="Kopi Gayo", price=75_000))
        s.flush()
        return conversation.id


def _order(factory: Any, conversation_id: int, quantity: int = 2) -> int:
    with transaction(factory) as s:
        data = OrderCreate(
            conversation_id=conversation_id, items=[OrderItemIn(sku="KOPI-1", quantity=quantity)]
        )
        return orders.do_create_order(s, data, actor_user_id=None).id


def _move(factory: Any, order_id: int, status: str, settings: Any) -> None:
    with transaction(factory) as s:
        orders.do_change_status(
            s,
            orders.get_order(s, order_id),
            StatusChangeIn(status=status, notify=False),
            settings=settings,
            actor_user_id=None,
        )


def _contact_of(factory: Any, conversation_id: int) -> int:
    with factory() as s:
        return s.get_one(Conversation, conversation_id).contact_id


def test_points_at_completion_and_back_on_a_later_cancel(
    factory: Any, conversation_id: int, settings: Any
) -> None:
    contact_id = _contact_of(factory, conversation_id)
    order_id = _order(factory, conversation_id, quantity=2)  # Rp150.000
    _move(factory, order_id, "dibayar", settings)
    with factory() as s:
        assert ledger.balance(s, contact_id) == 0  # nothing before "selesai"
    _move(factory, order_id, "selesai", settings)
    with factory() as s:
        assert ledger.balance(s, contact_id) == 15  # 1 point per Rp10.000
    # Retried (a worker that died after the commit and runs the award again): nothing more.
    with transaction(factory) as s:
        again = earning.do_order_completed(
            s, order_id=order_id, contact_id=contact_id, total=150_000, timezone="Asia/Jakarta"
        )
        assert again == []
    _move(factory, order_id, "dibatalkan", settings)  # returned after completion
    with factory() as s:
        assert ledger.balance(s, contact_id) == 0
        kinds = s.scalars(
            select(LoyaltyEntry.kind)
            .where(LoyaltyEntry.order_id == order_id)
            .order_by(LoyaltyEntry.id)
        ).all()
        assert kinds == ["earned", "reversed"]
        change = orders.get_order(s, order_id).changes[-1]
        assert change.data["points_taken_back"] == 15


def test_a_completed_order_only_moves_to_cancelled(
    factory: Any, conversation_id: int, settings: Any
) -> None:
    order_id = _order(factory, conversation_id)
    _move(factory, order_id, "selesai", settings)
    with factory() as s, pytest.raises(ConflictError):
        orders.check_transition(orders.get_order(s, order_id), StatusChangeIn(status="dikirim"))


def test_cancel_takes_back_only_what_is_left(
    factory: Any, conversation_id: int, settings: Any
) -> None:
    contact_id = _contact_of(factory, conversation_id)
    with transaction(factory) as s:
        reward = rewards.do_save(
            s,
            rewards.RewardIn(
                name="Diskon 10rb", kind="discount_amount", value=10_000, cost_points=10
            ),
        )
        reward_id = reward.id
    order_id = _order(factory, conversation_id, quantity=2)
    _move(factory, order_id, "selesai", settings)
    with transaction(factory) as s:
        rewards.do_redeem(s, contact_id, reward_id)  # 10 of the 15 points spent
    _move(factory, order_id, "dibatalkan", settings)
    with factory() as s:
        assert ledger.balance(s, contact_id) == 0  # 5 taken back, never below zero
        taken = s.scalar(
            select(func.sum(LoyaltyEntry.points)).where(LoyaltyEntry.kind == "reversed")
        )
        assert taken == -5


def test_caps_per_day_and_per_customer(factory: Any, conversation_id: int) -> None:
    contact_id = _contact_of(factory, conversation_id)
    with transaction(factory) as s:
        plan = program.load(s)
        plan.rules = [
            program.EarningRule(source="csat", points=5, max_per_day=10, max_per_customer=25)
        ]
        program.do_save(s, plan)
    got = []
    try:
        for day in range(4):
            for n in range(3):
                with transaction(factory) as s:
                    e = earning.do_award(s, contact_id, "csat", f"csat:{day}-{n}")
                    got.append(e.points if e else 0)
            clock.advance(__import__("datetime").timedelta(days=1))
    finally:
        clock.reset()
    assert got == [5, 5, 0, 5, 5, 0, 5, 0, 0, 0, 0, 0]  # 10 a day, 25 in all


def test_a_code_is_used_once_by_fifty_at_once(
    factory: Any, conversation_id: int, settings: Any
) -> None:
    contact_id = _contact_of(factory, conversation_id)
    with transaction(factory) as s:
        ledger.do_credit(s, contact_id, "adjusted_in", 100, expires_at=None)
        reward = rewards.do_save(
            s,
            rewards.RewardIn(name="Diskon 10%", kind="discount_percent", value=10, cost_points=50),
        )
        code = rewards.do_redeem(s, contact_id, reward.id).code
    order_ids = [_order(factory, conversation_id, quantity=2) for _ in range(50)]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def attempt(order_id: int, n: int) -> None:
        barrier.wait()
        with transaction(factory) as s:
            order = orders.get_order(s, order_id)
            claim = order_rewards.do_apply_code(
                s, order, code.lower().replace("-", " "), actor=f"user:{n}", user_id=None
            )
            outcomes.append("ok" if claim.refusal is None else claim.refusal.code)

    threads = [threading.Thread(target=attempt, args=(o, n)) for n, o in enumerate(order_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) == {"ok", "code_used"}
    with factory() as s:
        used = s.scalars(select(LoyaltyRedemption)).one()
        assert used.state == "used" and used.discount == 15_000  # 10% of Rp150.000
        assert orders.get_order(s, used.used_order_id).discount == 15_000  # type: ignore[arg-type]
        discounted = [orders.get_order(s, o).discount for o in order_ids]
        assert sorted(discounted)[-2:] == [0, 15_000]


def test_guessing_codes_is_refused_after_ten_wrong(factory: Any, conversation_id: int) -> None:
    order_id = _order(factory, conversation_id)
    for n in range(guard.FREE):
        with transaction(factory) as s:
            claim = order_rewards.do_apply_code(
                s, orders.get_order(s, order_id), f"NG-AAAA-AAA{n}", actor="token:9", user_id=None
            )
            assert claim.refusal is not None and claim.refusal.code == "code_not_found"
    with transaction(factory) as s, pytest.raises(guard.TooManyAttempts):
        order_rewards.do_apply_code(
            s, orders.get_order(s, order_id), "NG-AAAA-BBBB", actor="token:9", user_id=None
        )
    with transaction(factory) as s:  # another actor is not held back
        claim = order_rewards.do_apply_code(
            s, orders.get_order(s, order_id), "NG-AAAA-BBBB", actor="user:1", user_id=None
        )
        assert claim.refusal is not None and claim.refusal.code == "code_not_found"


def test_the_hourly_pass_expires_points_and_codes_in_small_transactions(
    factory: Any, conversation_id: int
) -> None:
    from datetime import timedelta

    from niaga.loyalty import jobs

    contact_id = _contact_of(factory, conversation_id)
    with transaction(factory) as s:
        others = []
        for n in range(5):
            other = Contact(wa_id=f"62812345009{n:02d}")
            s.add(other)
            s.flush()
            others.append(other.id)
        for cid in [contact_id, *others]:
            ledger.do_credit(s, cid, "earned", 10, expires_at=ledger.expiry_for(12))
        ledger.do_credit(s, contact_id, "earned", 7, expires_at=None)
        reward = rewards.do_save(
            s, rewards.RewardIn(name="Gantungan kunci", kind="gift", cost_points=5)
        )
        code = rewards.do_redeem(s, contact_id, reward.id)  # takes 5 of the expiring 10
        code_id = code.id
    try:
        clock.advance(timedelta(days=400))
        assert jobs.expire(factory, batch=2) == 5 + 5 * 10  # three rounds of two customers
        assert jobs.expire(factory, batch=2) == 0
        with factory() as s:
            assert ledger.balance(s, contact_id) == 7  # the never-expiring lot stays
            assert all(ledger.balance(s, cid) == 0 for cid in others)
            assert s.get_one(LoyaltyRedemption, code_id).state == "expired"
    finally:
        clock.reset()


def test_a_crash_before_commit_grants_nothing_and_the_retry_grants_once(
    factory: Any, conversation_id: int, settings: Any
) -> None:
    """Points commit with the status change: a worker dying mid-transaction leaves neither, and
    doing the change again grants them once."""
    contact_id = _contact_of(factory, conversation_id)
    order_id = _order(factory, conversation_id, quantity=4)  # Rp300.000: 30 points

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction(factory) as s:
        orders.do_change_status(
            s,
            orders.get_order(s, order_id),
            StatusChangeIn(status="selesai", notify=False),
            settings=settings,
            actor_user_id=None,
        )
        assert ledger.balance(s, contact_id) == 30  # granted inside the transaction…
        raise Crash  # …which never commits
    with factory() as s:
        assert ledger.balance(s, contact_id) == 0
        assert orders.get_order(s, order_id).status == "baru"
    _move(factory, order_id, "selesai", settings)
    with transaction(factory) as s:  # a second worker finishing the same order's award
        earning.do_order_completed(
            s, order_id=order_id, contact_id=contact_id, total=300_000, timezone="Asia/Jakarta"
        )
    with factory() as s:
        assert ledger.balance(s, contact_id) == 30
        assert s.scalar(select(func.count()).where(LoyaltyEntry.order_id == order_id)) == 1


def test_each_pass_reads_only_the_lots_due_since_the_last(
    factory: Any, conversation_id: int
) -> None:
    from datetime import timedelta

    from niaga.loyalty import jobs
    from niaga.loyalty.models import LoyaltyProgram

    contact_id = _contact_of(factory, conversation_id)
    try:
        with transaction(factory) as s:
            ledger.do_credit(s, contact_id, "earned", 10, expires_at=ledger.expiry_for(1))
        assert jobs.expire(factory) == 0  # nothing due yet; the mark is set
        with factory() as s:
            first = s.get_one(LoyaltyProgram, 1).expired_through
            assert first is not None
        clock.advance(timedelta(days=40))
        with transaction(factory) as s:
            ledger.do_credit(s, contact_id, "earned", 4, expires_at=ledger.expiry_for(1))
        assert jobs.expire(factory) == 10  # the lot due since the mark
        clock.advance(timedelta(days=40))
        assert jobs.expire(factory) == 4
        with factory() as s:
            assert ledger.balance(s, contact_id) == 0
            assert program.load(s).rules  # the program made for the mark is the default one
    finally:
        clock.reset()
