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
    and the live server's automation scheduler (catch-up, timers) and queue sit out."""
    monkeypatch.setattr(events, "_listeners", defaultdict(list))
    worker = live.app.state.worker
    worker.automation.paused = worker.automation_queue.paused = True
    try:
        yield
    finally:
        worker.automation.paused = worker.automation_queue.paused = False
