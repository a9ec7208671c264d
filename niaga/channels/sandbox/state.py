"""What the sandbox remembers: customers, accepted messages, media, counters."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from niaga.channels.sandbox.commerce import Catalog
from niaga.channels.sandbox.groups import Groups
from niaga.channels.sandbox.templates import Template, seed_templates
from niaga.channels.sandbox.uploads import Uploads


def bsuid_for(phone: str) -> str:
    """A stable business-scoped user id for a phone number, shaped like Meta's."""
    digest = int(hashlib.sha256(phone.encode()).hexdigest(), 16) % 10**19
    return f"ID.{digest:019d}"


def _tail(rows: deque[Any], last: int | None) -> list[Any]:
    """The last ``last`` items of ``rows`` (all when None), oldest first."""
    if last is None or last >= len(rows):
        return list(rows)
    return list(itertools.islice(reversed(rows), last))[::-1]


def new_wamid() -> str:
    """A message id shaped like Meta's (``wamid.`` + base64)."""
    return "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18" + secrets.token_bytes(18)).decode()


@dataclass
class Customer:
    """A simulated WhatsApp user."""

    phone: str
    name: str
    user_id: str | None = None
    username: str | None = None
    autoreply: bool = False
    last_inbound_at: float | None = None

    def __post_init__(self) -> None:
        # Since April 2026 Meta sends a business-scoped user id (BSUID) for every user.
        if self.user_id is None:
            self.user_id = bsuid_for(self.phone)

    def public(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "name": self.name,
            "user_id": self.user_id,
            "username": self.username,
            "autoreply": self.autoreply,
            "last_inbound_at": self.last_inbound_at,
        }


@dataclass
class Media:
    id: str
    data: bytes
    mime_type: str
    sha256: str = ""

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or hashlib.sha256(self.data).hexdigest()


STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 9}


class ChangeSignal:
    """Wakes every waiter when the state changes (the phone page's live stream waits on it).

    Only the sandbox's event loop calls :meth:`notify` and :meth:`wait`, like the rest of the
    state; a waiter that misses nothing simply times out and looks again.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def wait(self, timeout: float) -> bool:
        """True when notified, False after ``timeout`` seconds of quiet."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(fut)


@dataclass
class SandboxState:
    """All mutable sandbox state, bounded by ``max_log``.

    Only the sandbox's event loop touches it (routes and background tasks run there, and no
    method awaits halfway through a change), so no locks are needed.
    """

    max_log: int = 100_000
    customers: dict[str, Customer] = field(default_factory=dict)
    messages: deque[dict[str, Any]] = field(default_factory=deque)
    inbound: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    uploads: Uploads = field(default_factory=Uploads)
    catalog: Catalog = field(default_factory=Catalog)
    groups: Groups = field(default_factory=Groups)
    templates: list[Template] = field(default_factory=seed_templates)
    profile: dict[str, Any] = field(
        default_factory=lambda: {
            "about": "Toko Sari — busana muslim",
            "address": "Jl. Melati No. 5, Bandung",
            "description": "Gamis, kemeja dan hijab berkualitas.",
            "email": "halo@tokosari.id",
            "websites": ["https://tokosari.id"],
            "vertical": "APPAREL",
        }
    )
    webhook_log: deque[dict[str, Any]] = field(default_factory=deque)
    stats: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    _seq: Any = field(default_factory=lambda: itertools.count(1))
    # For the phone page (/sandbox/phone): a wake-up signal, each send's highest status seen
    # in the webhooks sent so far, the sends the phone has read, and per-customer indexes.
    changed: ChangeSignal = field(default_factory=ChangeSignal)
    # wa_id -> open /sandbox/phone streams showing that customer's chat (they read it there).
    phone_watchers: dict[str, int] = field(default_factory=dict)
    status_seen: dict[str, str] = field(default_factory=dict)
    phone_read: dict[str, float] = field(default_factory=dict)
    _sent_to: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    _received_from: dict[str, deque[str]] = field(default_factory=dict)

    def load_customers(self, path: str | None) -> None:
        """Read customers saved by :meth:`save_customers` (missing file: nothing to read)."""
        if not path or not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as fh:
            for data in json.load(fh):
                customer = Customer(**data)
                self.customers[customer.phone] = customer

    def save_customers(self, path: str | None) -> None:
        """Write customers (phone, name, ids, last inbound time) atomically to ``path``."""
        if not path:
            return
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump([c.public() for c in self.customers.values()], fh)
        os.replace(tmp, path)

    def log_message(self, entry: dict[str, Any]) -> None:
        entry["seq"] = next(self._seq)
        self.messages.append(entry)
        while len(self.messages) > self.max_log:
            old = self.messages.popleft()
            rows = self._sent_to.get(str(old.get("to")))
            while rows and rows[0]["seq"] <= old["seq"]:
                rows.popleft()
        self._sent_to.setdefault(str(entry.get("to")), deque()).append(entry)
        self.changed.notify()

    def remember_inbound(self, wamid: str, entry: dict[str, Any]) -> None:
        """Keep a received message (for mark-as-read), bounded like the other logs."""
        entry.setdefault("at", time.time())
        self.inbound[wamid] = entry
        while len(self.inbound) > self.max_log:
            oldest = next(iter(self.inbound))
            sender = self.inbound.pop(oldest).get("from")
            wamids = self._received_from.get(str(sender))
            if wamids and wamids[0] == oldest:
                wamids.popleft()
        self._received_from.setdefault(str(entry.get("from")), deque()).append(wamid)
        self.changed.notify()

    def log_webhook(self, entry: dict[str, Any]) -> None:
        self.webhook_log.append(entry)
        # Webhook bodies are larger than send records: keep a tenth as many.
        while len(self.webhook_log) > max(100, self.max_log // 10):
            self.webhook_log.popleft()
        if self._note_statuses(entry.get("payload") or {}):
            self.changed.notify()

    def _note_statuses(self, payload: dict[str, Any]) -> bool:
        """Remember each send's highest status (sent < delivered < read; failed is final)."""
        noted = False
        for e in payload.get("entry", []):
            for change in e.get("changes", []):
                for st in (change.get("value") or {}).get("statuses", []):
                    wamid, status = st.get("id"), st.get("status")
                    old = self.status_seen.get(wamid)
                    if status in STATUS_RANK and (
                        old is None or STATUS_RANK[status] > STATUS_RANK[old]
                    ):
                        self.status_seen[wamid] = status
                        noted = True
        while len(self.status_seen) > self.max_log:
            del self.status_seen[next(iter(self.status_seen))]
        return noted

    def sent_to(self, wa_id: str, last: int | None = None) -> list[dict[str, Any]]:
        """Accepted sends to ``wa_id`` still in the log, oldest first (only the ``last`` few).

        The log's sequence numbers only grow, so an indexed send is still logged exactly when
        its ``seq`` is at least the oldest logged one (this also holds after a reset).
        """
        rows = self._sent_to.get(wa_id)
        if not rows:
            return []
        first = self.messages[0]["seq"] if self.messages else None
        while rows and (first is None or rows[0]["seq"] < first):
            rows.popleft()
        return _tail(rows, last)

    def received_from(
        self, wa_id: str, last: int | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """Messages the customer ``wa_id`` sent that are still remembered, oldest first.

        Only the oldest are ever forgotten (or all, by a reset), so pruning from the left
        keeps the index exact.
        """
        wamids = self._received_from.get(wa_id)
        if not wamids:
            return []
        while wamids and wamids[0] not in self.inbound:
            wamids.popleft()
        return [(w, self.inbound[w]) for w in _tail(wamids, last)]

    def mark_phone_read(self, wamid: str) -> None:
        """The customer's phone showed the send ``wamid`` (bounded like the other logs)."""
        self.phone_read[wamid] = time.time()
        while len(self.phone_read) > self.max_log:
            del self.phone_read[next(iter(self.phone_read))]

    def customer(self, wa_id: str) -> Customer | None:
        return self.customers.get(wa_id) or next(
            (c for c in self.customers.values() if c.user_id == wa_id), None
        )

    def window_open(self, wa_id: str, hours: float) -> bool:
        c = self.customer(wa_id)
        return bool(c and c.last_inbound_at and time.time() - c.last_inbound_at < hours * 3600)

    def template(self, name: str, language: str) -> Template | None:
        return next((t for t in self.templates if t.name == name and t.language == language), None)

    def add_media(self, data: bytes, mime_type: str) -> Media:
        media = Media(id=str(secrets.randbelow(10**15) + 10**15), data=data, mime_type=mime_type)
        self.media[media.id] = media
        return media
