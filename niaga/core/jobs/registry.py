"""What background work exists: each domain registers its loops, periodic jobs and job kinds.

A process runs the entries of the roles it has: ``processing`` (webhooks, automation, orders)
and ``dispatch`` (what talks to the Graph API). Names are dotted, domain first
(``automation.timers``), so a whole domain can be paused at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

PROCESSING = "processing"
DISPATCH = "dispatch"
ROLES = (PROCESSING, DISPATCH)


class Loop(Protocol):
    """A long-running loop: runs until ``stop`` is set; ``wake`` makes it look for work now."""

    async def run(self, stop: asyncio.Event) -> None: ...

    def wake(self) -> None: ...


@dataclass
class JobContext:
    """What jobs get: settings, sessions, and one Graph channel shared by the process."""

    settings: Any
    factory: sessionmaker[Session]
    read_factory: sessionmaker[Session]
    worker_id: str
    channel_factory: Callable[[], Any] | None = None
    # The stored webhooks' own database, when they have one (SQLite; see channels/whatsapp).
    intake_factory: sessionmaker[Session] | None = None
    _channel: Any = field(default=None, repr=False)

    def channel(self) -> Any:
        """The process's channel (made on first use, closed when the runner stops)."""
        if self._channel is None:
            if self.channel_factory is None:
                raise RuntimeError("this process has no channel (it does not dispatch)")
            self._channel = self.channel_factory()
        return self._channel

    async def close(self) -> None:
        """Close the channel if one was made."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


@dataclass(frozen=True)
class LoopSpec:
    """A loop built once per process; woken by signals (:mod:`signals`) or events."""

    name: str
    build: Callable[[JobContext], Loop]
    role: str = PROCESSING
    wake_on: tuple[str, ...] = ()
    wake_on_events: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodicSpec:
    """A job run every ``every`` seconds by one process at a time across all of them.

    ``run(ctx)`` may be sync (run in a thread) or async. After a failure it is tried again
    after ``retry_after`` seconds, doubling per failure up to ``every``.
    """

    name: str
    every: float
    run: Callable[[JobContext], Any]
    role: str = PROCESSING
    retry_after: float = 30.0
    timeout: float = 900.0
    wake_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskSpec:
    """A kind of durable delayed job, scheduled with :func:`store.schedule`.

    ``run(ctx, payload)`` (sync or async) may run more than once if its process dies
    mid-way, so it must be idempotent, unless ``transactional``: then it is
    ``run(session, payload)`` and commits in one transaction with the job's completion
    (exactly once). A failure is retried after ``retry_after`` × 2^attempt seconds.
    """

    name: str
    run: Callable[..., Any]
    role: str = PROCESSING
    transactional: bool = False
    retry_after: float = 5.0
    lease: float = 300.0


class Registry:
    """The one list of background work; domains add to it in their ``register`` function."""

    def __init__(self) -> None:
        self.loops: dict[str, LoopSpec] = {}
        self.periodic: dict[str, PeriodicSpec] = {}
        self.tasks: dict[str, TaskSpec] = {}

    def _check(self, name: str) -> None:
        if name in self.loops or name in self.periodic or name in self.tasks:
            raise ValueError(f"background job {name!r} is registered twice")

    def add_loop(self, spec: LoopSpec) -> None:
        """Register a loop."""
        self._check(spec.name)
        self.loops[spec.name] = spec

    def add_periodic(self, spec: PeriodicSpec) -> None:
        """Register a periodic job."""
        self._check(spec.name)
        self.periodic[spec.name] = spec

    def add_task(self, spec: TaskSpec) -> None:
        """Register a kind of delayed job."""
        self._check(spec.name)
        self.tasks[spec.name] = spec

    def for_roles(self, roles: Iterable[str]) -> Registry:
        """The entries a process with ``roles`` runs."""
        wanted = set(roles)
        out = Registry()
        out.loops = {n: s for n, s in self.loops.items() if s.role in wanted}
        out.periodic = {n: s for n, s in self.periodic.items() if s.role in wanted}
        out.tasks = {n: s for n, s in self.tasks.items() if s.role in wanted}
        return out

    def names(self) -> list[str]:
        """Every registered name."""
        return sorted([*self.loops, *self.periodic, *self.tasks])
