"""Fixtures for automation tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from niaga.core import events
from tests.conftest import LiveServer


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch, live: LiveServer) -> Iterator[None]:
    """A service-level test drives automation itself: no event listeners act on their own,
    and the live server's automation scheduler (catch-up, timers) sits out."""
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    scheduler = live.app.state.worker.automation
    scheduler.paused = True
    try:
        yield
    finally:
        scheduler.paused = False
