"""Ledger invariants under random sequences of earning, redeeming, adjusting, cancelling and
time passing, checked against an independent model after every step (SQLite and PostgreSQL):
the balance is the sum of the entries, never negative; expiry takes exactly what is left of a
lot; a cancellation takes back exactly the order's points still held."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.loyalty import ledger
from niaga.loyalty.models import LoyaltyAllocation, LoyaltyEntry

_phones = count(1)


@dataclass
class Lot:
    id: int
    remaining: int
    expires_at: datetime | None


@dataclass
class Model:
    """The ledger as a list of lots, written independently of the code under test."""

    lots: list[Lot] = field(default_factory=list)
    reversed: set[int] = field(default_factory=set)

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def take(self, points: int, first: int | None = None) -> None:
        order = sorted(
            self.lots,
            key=lambda lot: (
                lot.id != first,
                lot.expires_at is None,
                lot.expires_at or datetime.max,
                lot.id,
            ),
        )
        for lot in order:
            bite = min(points, lot.remaining)
            lot.remaining -= bite
            points -= bite
        assert points == 0

    def expire(self, now: datetime) -> None:
        for lot in self.lots:
            if lot.expires_at is not None and lot.expires_at <= now:
                lot.remaining = 0


ops = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 500), st.sampled_from([12, 12, 0, 1])),
        st.tuples(st.just("redeem"), st.integers(1, 800), st.just(0)),
        st.tuples(st.just("adjust_out"), st.integers(1, 300), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("wait"), st.integers(1, 200), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def _contact(factory: Any) -> int:
    with transaction(factory) as s:
        contact = Contact(wa_id=f"62811{next(_phones):07d}{id(s) % 1000:03d}")
        s.add(contact)
        s.flush()
        return contact.id


def _check(factory: Any, contact_id: int, model: Model) -> None:
    with factory() as s:
        total = s.scalar(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                LoyaltyEntry.contact_id == contact_id
            )
        )
        assert ledger.balance(s, contact_id) == total == model.balance
        assert total >= 0
        held = {lot.id: lot.remaining for lot in ledger.lots(s, contact_id)}
        assert held == {lot.id: lot.remaining for lot in model.lots if lot.remaining}
        # No lot gives more than it holds; every debit is allocated in full.
        over = s.execute(
            select(LoyaltyAllocation.lot_id, func.sum(LoyaltyAllocation.points)).group_by(
                LoyaltyAllocation.lot_id
            )
        ).all()
        points = dict(s.execute(select(LoyaltyEntry.id, LoyaltyEntry.points)).all())
        assert all(taken <= points[lot] for lot, taken in over)
        for debit_id, debit_points in points.items():
            if debit_points < 0:
                allocated = s.scalar(
                    select(func.sum(LoyaltyAllocation.points)).where(
                        LoyaltyAllocation.debit_id == debit_id
                    )
                )
                assert allocated == -debit_points


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ops)
def test_ledger_matches_its_model(factory: Any, steps: list[tuple[str, int, int]]) -> None:
    contact_id = _contact(factory)
    model = Model()
    earned: list[int] = []
    try:
        for kind, n, months in steps:
            with transaction(factory) as s:
                if kind == "earn":
                    entry = ledger.do_credit(
                        s, contact_id, "earned", n, expires_at=ledger.expiry_for(months)
                    )
                    assert entry is not None
                    expires = ledger.expiry_for(months, entry.created_at)
                    model.lots.append(Lot(entry.id, n, expires))
                    earned.append(entry.id)
                elif kind in ("redeem", "adjust_out"):
                    wanted = "redeemed" if kind == "redeem" else "adjusted_out"
                    if n > model.balance:
                        with pytest.raises(ledger.NotEnoughPoints):
                            ledger.do_debit(s, contact_id, wanted, n)
                    else:
                        ledger.do_debit(s, contact_id, wanted, n)
                        model.take(n)
                elif kind == "cancel" and earned:
                    lot_id = earned[n % len(earned)]
                    lot_points = s.get_one(LoyaltyEntry, lot_id).points
                    debit = ledger.do_debit(
                        s,
                        contact_id,
                        "reversed",
                        lot_points,
                        key=f"reverse:{lot_id}",
                        first_lot=lot_id,
                        partial=True,
                    )
                    if lot_id not in model.reversed:
                        wanted = min(lot_points, model.balance)
                        assert (debit.points if debit else 0) == -wanted
                        if wanted:  # nothing taken writes nothing (an order is cancelled once)
                            model.take(wanted, first=lot_id)
                            model.reversed.add(lot_id)
                    else:
                        assert debit is None  # one reversal per order, however often asked
                elif kind == "wait":
                    clock.advance(timedelta(days=n))
                    expired = ledger.do_expire(s, contact_id)
                    before = model.balance
                    model.expire(clock.now())
                    assert expired == before - model.balance
            _check(factory, contact_id, model)
    finally:
        clock.reset()


def test_expiry_is_exact_to_the_lot(factory: Any) -> None:
    contact_id = _contact(factory)
    try:
        with transaction(factory) as s:
            old = ledger.do_credit(s, contact_id, "earned", 100, expires_at=ledger.expiry_for(12))
        clock.advance(timedelta(days=200))
        with transaction(factory) as s:
            ledger.do_credit(s, contact_id, "earned", 50, expires_at=ledger.expiry_for(12))
            ledger.do_debit(s, contact_id, "redeemed", 70)  # from the older lot: 30 left there
        clock.advance(timedelta(days=170))  # 370 days: the first lot is past its 12 months
        with transaction(factory) as s:
            assert ledger.do_expire(s, contact_id) == 30
            assert ledger.do_expire(s, contact_id) == 0  # expiring again takes nothing
            assert ledger.balance(s, contact_id) == 50
            assert old is not None
    finally:
        clock.reset()
