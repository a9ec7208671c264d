"""Fixtures for automation tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from niaga.core import events


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No event listeners during a service-level test (they would act on their own)."""
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    yield
