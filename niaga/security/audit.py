"""The audit log: every security and data event, append-only and hash-chained.

An entry is written in the transaction of the change it records (an order of changes and its
entry commit together, or neither). Who acts comes from the database session
(:func:`act_as`: the web layer sets the signed-in user or the API token, the CLI itself),
so services record events without passing an actor through every call.

The chain is sealed at commit, as the transaction's last step: the chain's head row is
locked, each new entry gets the next ``seq``, the previous entry's hash and its own
``HMAC-SHA256(key, previous hash + entry)``. Taking the head lock last means a transaction
that holds it waits for nothing else, so sealing cannot deadlock with other writes; audited
changes are rare (sign-ins, settings, exports), so the short serialisation costs nothing.
The key is derived from ``NIAGA_SECRET_KEY``: whoever can write to the database but does not
know the key cannot rebuild a consistent chain after editing or deleting an entry, and
:func:`verify` names the first entry that no longer fits. Database triggers refuse UPDATE
and DELETE of sealed entries, so a slip is stopped before the chain has to catch it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker

from niaga.core import clock
from niaga.core.db import insert_ignoring_conflicts, transaction
from niaga.security.models import AuditChain, AuditEntry

ACTOR_KEY = "audit_actor"  # where a session (or its factory's info) names who acts
_UNSEALED = "audit_unsealed"
_key: bytes | None = None


@dataclass(frozen=True)
class AuditActor:
    """Who does what is recorded: a user, an API token, the CLI or Niaga itself."""

    label: str
    via: str  # web, api, cli, system
    user_id: int | None = None
    ip: str | None = None


SYSTEM = AuditActor(label="Niaga", via="system")


def act_as(session: Session, actor: AuditActor) -> None:
    """Record ``actor`` as the one acting in ``session`` (until the session ends)."""
    session.info[ACTOR_KEY] = actor


def actor_of(session: Session) -> AuditActor:
    """Who acts in ``session`` (Niaga itself when nobody was set)."""
    return session.info.get(ACTOR_KEY, SYSTEM)


def use_secret(secret_key: str) -> None:
    """Seal and verify the chain with a key derived from ``secret_key``."""
    global _key
    _key = chain_key(secret_key)


def chain_key(secret_key: str) -> bytes:
    """The chain's HMAC key for ``secret_key``."""
    return hmac.new(secret_key.encode(), b"niaga-audit-chain", "sha256").digest()


def _current_key() -> bytes:
    if _key is None:
        from niaga.core.config import get_settings

        use_secret(get_settings().secret_key)
    assert _key is not None
    return _key


def key_id(key: bytes) -> str:
    """A short public fingerprint of a chain key (which key sealed an entry)."""
    return hashlib.sha256(b"niaga-audit-key-id" + key).hexdigest()[:12]


def record(
    session: Session,
    kind: str,
    *,
    target: tuple[str, str | int] | None = None,
    details: dict[str, Any] | None = None,
    actor: AuditActor | None = None,
) -> AuditEntry:
    """Add an entry of ``kind`` to the log; it is sealed into the chain at commit."""
    who = actor or actor_of(session)
    entry = AuditEntry(
        at=clock.now(),
        kind=kind,
        actor=who.label[:200],
        via=who.via,
        actor_user_id=who.user_id,
        ip=(who.ip or None) and who.ip[:64],
        target_kind=target[0] if target else None,
        target_id=str(target[1])[:64] if target else None,
        details=details or {},
    )
    session.add(entry)
    session.info[_UNSEALED] = True
    return entry


def record_now(
    factory: sessionmaker[Session],
    kind: str,
    *,
    actor: AuditActor,
    target: tuple[str, str | int] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record in a short transaction of its own (for reads, which run read-only)."""
    with transaction(factory) as session:
        record(session, kind, actor=actor, target=target, details=details)


# ----------------------------------------------------------------------------- sealing


def _canonical(seq: int, entry: dict[str, Any]) -> bytes:
    at: datetime = entry["at"]
    return json.dumps(
        [
            seq,
            clock.as_utc(at).isoformat(timespec="microseconds"),
            entry["kind"],
            entry["actor"],
            entry["via"],
            entry["actor_user_id"],
            entry["ip"],
            entry["target_kind"],
            entry["target_id"],
            entry["details"] or {},
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def entry_hash(key: bytes, prev_hash: str, seq: int, entry: dict[str, Any]) -> str:
    """The hash that seals entry ``seq`` after ``prev_hash``."""
    return hmac.new(key, prev_hash.encode() + b"\n" + _canonical(seq, entry), "sha256").hexdigest()


_FIELDS = (
    "id",
    "at",
    "kind",
    "actor",
    "via",
    "actor_user_id",
    "ip",
    "target_kind",
    "target_id",
    "details",
)


def _head(session: Session) -> AuditChain:
    """The chain's head row, locked for this transaction on PostgreSQL."""
    session.execute(insert_ignoring_conflicts(session, AuditChain.__table__).values(id=1))
    stmt = select(AuditChain).where(AuditChain.id == 1).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one()


def seal(session: Session) -> int:
    """Chain this transaction's new entries; returns how many were sealed."""
    session.info.pop(_UNSEALED, None)
    session.flush()
    columns = [getattr(AuditEntry, name) for name in _FIELDS]
    rows = session.execute(
        select(*columns).where(AuditEntry.hash.is_(None)).order_by(AuditEntry.id)
    ).all()
    if not rows:
        return 0
    key = _current_key()
    kid = key_id(key)
    head = _head(session)
    seq, prev = head.last_seq, head.last_hash
    sealed = []
    for row in rows:
        seq += 1
        digest = entry_hash(key, prev, seq, row._asdict())
        sealed.append({"i": row.id, "s": seq, "p": prev, "h": digest, "k": kid})
        prev = digest
    session.execute(
        text("UPDATE audit_log SET seq = :s, prev_hash = :p, hash = :h, key_id = :k WHERE id = :i"),
        sealed,
    )
    head.last_seq, head.last_hash, head.updated_at = seq, prev, clock.now()
    session.flush()
    return len(sealed)


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    # A SAVEPOINT's release is not the commit: the outer transaction seals everything once.
    if session.info.get(_UNSEALED) and session.get_nested_transaction() is None:
        seal(session)


# ---------------------------------------------------------------------------- checking


@dataclass
class Verdict:
    """What :func:`verify` found: the entries checked, the head, and each problem."""

    checked: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(session: Session, *, secret_key: str | None = None, limit: int = 20) -> Verdict:
    """Walk the chain from its first entry and name every entry that does not fit.

    Finds an edited entry (its hash no longer matches), a deleted one (a gap in ``seq`` or a
    broken link to the previous hash), entries deleted at the end (the head is further on)
    and entries sealed with another key. Stops listing after ``limit`` problems.
    """
    key = chain_key(secret_key) if secret_key is not None else _current_key()
    kid = key_id(key)
    verdict = Verdict()
    expected_seq, prev = 0, ""
    columns = [getattr(AuditEntry, name) for name in _FIELDS]
    stmt = (
        select(*columns, AuditEntry.seq, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.key_id)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=2000)
    )

    def problem(message: str) -> None:
        if len(verdict.problems) < limit:
            verdict.problems.append(message)

    for row in session.execute(stmt):
        verdict.checked += 1
        expected_seq += 1
        if row.seq != expected_seq:
            problem(
                f"entries #{expected_seq}–#{row.seq - 1} are missing (deleted)"
                if row.seq > expected_seq
                else f"entry #{row.seq} appears twice"
            )
            expected_seq = row.seq
        if row.prev_hash != prev:
            problem(f"entry #{row.seq} does not follow the entry before it")
        if row.key_id != kid:
            problem(f"entry #{row.seq} was sealed with another key ({row.key_id}, now {kid})")
        elif entry_hash(key, row.prev_hash or "", row.seq, row._asdict()) != row.hash:
            problem(f"entry #{row.seq} was changed after it was written")
        prev = row.hash or ""
    head = session.get(AuditChain, 1)
    verdict.head_seq = head.last_seq if head else 0
    verdict.head_hash = head.last_hash if head else ""
    if verdict.head_seq > expected_seq:
        problem(f"entries #{expected_seq + 1}–#{verdict.head_seq} are missing (deleted)")
    elif verdict.head_seq < expected_seq or (head is not None and verdict.head_hash != prev):
        problem("the chain's head does not match its last entry (the head was changed)")
    return verdict


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class AuditFilter:
    """What the log page and ``niaga audit list`` narrow the log to."""

    kind: str | None = None  # a kind ("auth.sign_in") or its family ("auth")
    user_id: int | None = None
    target_kind: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(
    session: Session, where: AuditFilter, *, before_id: int | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest entries matching ``where`` (older than ``before_id`` when paging)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    for clause in _clauses(where):
        stmt = stmt.where(clause)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(session.scalars(stmt))


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    """An entry as plain data (the API, the CLI, an incident's export)."""
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "actor": entry.actor,
        "via": entry.via,
        "user_id": entry.actor_user_id,
        "ip": entry.ip,
        "target": f"{entry.target_kind}:{entry.target_id}" if entry.target_kind else None,
        "details": entry.details,
        "hash": entry.hash,
    }


def stream(session: Session, where: AuditFilter) -> Iterator[AuditEntry]:
    """Every entry matching ``where``, oldest first, read in slices."""
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    for clause in _clauses(where):
        stmt = stmt.where(clause)
    yield from session.scalars(stmt)


def _clauses(where: AuditFilter) -> list[Any]:
    found: list[Any] = []
    if where.kind:
        found.append(
            AuditEntry.kind == where.kind
            if "." in where.kind
            else AuditEntry.kind.startswith(where.kind + ".")
        )
    if where.user_id is not None:
        found.append(AuditEntry.actor_user_id == where.user_id)
    if where.target_kind:
        found.append(AuditEntry.target_kind == where.target_kind)
    if where.target_id:
        found.append(AuditEntry.target_id == where.target_id)
    if where.since is not None:
        found.append(AuditEntry.at >= where.since)
    if where.until is not None:
        found.append(AuditEntry.at < where.until)
    return found
