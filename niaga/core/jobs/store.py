"""The jobs layer's SQL: schedule, claim and finish durable jobs; take turns on periodic ones.

Every function works on SQLite and PostgreSQL. Scheduling happens inside the caller's
transaction, so a job exists exactly when the change that asked for it committed. Claims use
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of processes share the work; a claim is
a lease, and a job whose process died is taken up again when its lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.jobs import signals
from niaga.core.jobs.models import PeriodicRun, ScheduledJob

job = ScheduledJob.__table__
periodic = PeriodicRun.__table__


@dataclass(frozen=True)
class ClaimedJob:
    """A job this process now holds until ``locked_until``."""

    id: int
    name: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def _insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def schedule(
    session: Session,
    name: str,
    *,
    payload: dict[str, Any] | None = None,
    run_at: datetime | None = None,
    key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Add a job (``run_at`` default: now) in the session's transaction.

    With ``key``: a waiting job of that key is moved to ``run_at`` with the new payload, and a
    running one runs once more after it ends (debounce and reschedule in one statement).
    """
    now = clock.now()
    values = {
        "name": name,
        "key": key,
        "payload": payload or {},
        "run_at": run_at or now,
        "status": "pending",
        "again": False,
        "attempts": 0,
        "max_attempts": max_attempts,
        "created_at": now,
    }
    stmt = _insert(session)(job).values(**values)
    if key is not None:
        stmt = stmt.on_conflict_do_update(
            index_elements=[job.c.key],
            set_={
                "run_at": stmt.excluded.run_at,
                "payload": stmt.excluded.payload,
                "again": job.c.status == "running",
            },
        )
    session.execute(stmt)
    signals.notify_on_commit(session, signals.JOBS_SCHEDULED)


def cancel(session: Session, key: str) -> bool:
    """Cancel the waiting job of ``key``; True when one was waiting. A running job finishes,
    but does not run again."""
    now = clock.now()
    done = session.execute(
        update(job)
        .where(job.c.key == key, job.c.status == "pending")
        .values(status="cancelled", key=None, finished_at=now)
    ).rowcount
    session.execute(
        update(job).where(job.c.key == key, job.c.status == "running").values(again=False)
    )
    return bool(done)


def has_due(session: Session, names: list[str], now: datetime | None = None) -> bool:
    """Whether any job of ``names`` is due (a cheap read before a claim that writes)."""
    now = now or clock.now()
    found = session.scalar(select(job.c.id).where(_due(names, now)).limit(1))
    return found is not None


def next_due_at(session: Session, names: list[str]) -> datetime | None:
    """When the soonest waiting job of ``names`` is due."""
    return session.scalar(
        select(job.c.run_at)
        .where(job.c.status == "pending", job.c.name.in_(names))
        .order_by(job.c.run_at)
        .limit(1)
    )


def _due(names: list[str], now: datetime) -> Any:
    return and_(
        job.c.name.in_(names),
        or_(
            and_(job.c.status == "pending", job.c.run_at <= now),
            and_(job.c.status == "running", job.c.locked_until < now),  # its process died
        ),
    )


def claim(
    session: Session, worker_id: str, names: list[str], limit: int, lease: float
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs of ``names`` for ``lease`` seconds (in id order of due)."""
    now = clock.now()
    stmt = select(job).where(_due(names, now)).order_by(job.c.run_at, job.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = session.execute(stmt).all()
    claimed: list[ClaimedJob] = []
    dead: list[int] = []
    for row in rows:
        if row.attempts >= row.max_attempts:  # it crashed its process every time
            dead.append(row.id)
            continue
        claimed.append(
            ClaimedJob(row.id, row.name, row.key, row.payload, row.attempts + 1, row.max_attempts)
        )
    if dead:
        session.execute(
            update(job)
            .where(job.c.id.in_(dead))
            .values(
                status="failed",
                key=None,
                finished_at=now,
                last_error="its process stopped while running it, every time",
            )
        )
    if claimed:
        session.execute(
            update(job)
            .where(job.c.id.in_([c.id for c in claimed]))
            .values(
                status="running",
                locked_by=worker_id,
                locked_until=now + timedelta(seconds=lease),
                attempts=job.c.attempts + 1,
            )
        )
    return claimed


def _mine(job_id: int, worker_id: str) -> Any:
    return and_(job.c.id == job_id, job.c.status == "running", job.c.locked_by == worker_id)


def finish(session: Session, job_id: int, worker_id: str) -> None:
    """The job succeeded: done, or back to waiting when it was scheduled again meanwhile."""
    now = clock.now()
    released = {"locked_by": None, "locked_until": None}
    session.execute(
        update(job)
        .where(_mine(job_id, worker_id), job.c.again.is_(True))
        .values(status="pending", again=False, attempts=0, **released)
    )
    session.execute(
        update(job)
        .where(_mine(job_id, worker_id))
        .values(status="done", key=None, finished_at=now, last_error=None, **released)
    )


def fail(
    session: Session, claimed: ClaimedJob, worker_id: str, error: str, retry_in: float
) -> bool:
    """The job raised: try again in ``retry_in`` seconds, or fail it for good after its
    attempts (True when it is dead)."""
    now = clock.now()
    released = {"locked_by": None, "locked_until": None, "last_error": error[:4000]}
    if claimed.attempts >= claimed.max_attempts:
        session.execute(
            update(job)
            .where(_mine(claimed.id, worker_id))
            .values(status="failed", key=None, finished_at=now, **released)
        )
        return True
    session.execute(
        update(job)
        .where(_mine(claimed.id, worker_id))
        .values(status="pending", run_at=now + timedelta(seconds=retry_in), **released)
    )
    return False


def purge(session: Session, keep_done: timedelta, keep_failed: timedelta) -> int:
    """Delete finished jobs older than their retention; returns how many."""
    now = clock.now()
    return session.execute(
        delete(job).where(
            or_(
                and_(job.c.status.in_(("done", "cancelled")), job.c.finished_at < now - keep_done),
                and_(job.c.status == "failed", job.c.finished_at < now - keep_failed),
            )
        )
    ).rowcount


# Periodic jobs -------------------------------------------------------------------------------


def ensure_periodic(session: Session, names: list[str], first_run_at: datetime) -> None:
    """Give every periodic job a row (a new one is due at ``first_run_at``)."""
    if not names:
        return
    insert = _insert(session)
    session.execute(
        insert(periodic)
        .values([{"name": n, "next_run_at": first_run_at, "runs": 0} for n in names])
        .on_conflict_do_nothing()
    )


def periodic_schedule(session: Session, names: list[str]) -> dict[str, datetime]:
    """Each periodic job's next run."""
    rows = session.execute(
        select(periodic.c.name, periodic.c.next_run_at).where(periodic.c.name.in_(names))
    ).all()
    return {row.name: row.next_run_at for row in rows}


def claim_periodic(
    session: Session, name: str, worker_id: str, every: float, timeout: float, *, now_: bool
) -> bool:
    """Take this round of ``name`` (True: run it now). ``now_`` runs it before its time (a
    signal asked), still never beside another process's run."""
    now = clock.now()
    free = or_(periodic.c.running_until.is_(None), periodic.c.running_until < now)
    when = free if now_ else and_(free, periodic.c.next_run_at <= now)
    taken = session.execute(
        update(periodic)
        .where(periodic.c.name == name, when)
        .values(
            next_run_at=now + timedelta(seconds=every),
            running_by=worker_id,
            running_until=now + timedelta(seconds=timeout),
            last_started_at=now,
            runs=periodic.c.runs + 1,
        )
    ).rowcount
    return bool(taken)


def finish_periodic(
    session: Session, name: str, worker_id: str, error: str | None, retry_in: float | None
) -> None:
    """Record a round's end; after an error, run again in ``retry_in`` seconds if sooner."""
    now = clock.now()
    values: dict[str, Any] = {
        "running_by": None,
        "running_until": None,
        "last_finished_at": now,
        "last_error": error[:4000] if error else None,
    }
    mine = and_(periodic.c.name == name, periodic.c.running_by == worker_id)
    session.execute(update(periodic).where(mine).values(**values))
    if error is not None and retry_in is not None:
        soon = now + timedelta(seconds=retry_in)
        session.execute(
            update(periodic)
            .where(periodic.c.name == name, periodic.c.next_run_at > soon)
            .values(next_run_at=soon)
        )
