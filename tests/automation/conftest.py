"""Fixtures for automation tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from niaga.core import events


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch, background_paused: None) -> Iterator[None]:
    """A service-level test drives automation itself: no event listeners act on their own,
    and the live server's automation and order jobs (queue, catch-ups, timers) sit out."""
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    yield
