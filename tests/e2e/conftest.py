"""Browser tests: Playwright driving Debian's headless Chromium (never a downloaded browser).

Every test here is marked ``e2e``. Without ``/usr/bin/chromium`` they are skipped with a
clear reason (or fail in CI, where ``NIAGA_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from tests.conftest import missing_service

CHROMIUM = os.environ.get("NIAGA_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    # Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    # for the rest of the session, and pytest-asyncio tests cannot start theirs after it.
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's chromium with flags fit for a container."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        missing_service(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Indonesian locale and Jakarta time, a laptop-sized window."""
    return {
        **browser_context_args,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        "viewport": {"width": 1366, "height": 850},
    }
