"""Count the SQL statements an engine runs (tests that hold a code path to a statement budget)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event


class Statements:
    """Counts the SQL statements (executemany counts once) an engine runs while active."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.count = 0

    def _on(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)
