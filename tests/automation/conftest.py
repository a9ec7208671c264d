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
    jobs = live.app.state.worker.jobs
    jobs.pause("automation")
    try:
        yield
    finally:
        jobs.resume("automation")
