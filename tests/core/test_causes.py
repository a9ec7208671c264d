"""Walking an exception's causes: the lost-race check and the refused-target check share it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from niaga.core.db import is_transient
from niaga.core.errors import causes


def _raised_from(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as caught:
        return caught


def test_causes_walks_cause_then_context_and_stops_at_a_loop() -> None:
    inner = ValueError("inner")
    outer = _raised_from(RuntimeError("outer"), inner)
    assert [type(e) for e in causes(outer)] == [RuntimeError, ValueError]
    a, b = KeyError("a"), KeyError("b")
    a.__cause__, b.__cause__ = b, a  # a loop must not hang the walk
    assert list(causes(a)) == [a, b]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.SerializationFailure("could not serialize"), True),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
    ],
)
def test_a_lost_race_is_found_behind_wrappers(error: Exception, transient: bool) -> None:
    wrapped = OperationalError("UPDATE messages …", {}, error)
    outer = _raised_from(RuntimeError("the round failed"), wrapped)
    assert is_transient(outer) is transient
