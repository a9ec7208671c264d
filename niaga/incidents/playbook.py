"""Answering a breach ("Konsekuensi Pelanggaran Keamanan Data"): the guide's five steps, what
an incident touched according to the audit log, and drafts of the notices.

The scope is what the audit log can tell: every entry in the incident's window by a suspect
(a person, an address, an API token), the exports and customer archives they took (and so the
customers whose data may have left), the changes they made. Reading chats in the inbox is not
logged entry by entry, so a suspect who had access to the inbox may have seen more: the
drafts say so rather than promise less than the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.errors import DomainError, NotFoundError
from niaga.core.i18n import gettext
from niaga.core.phone import mask
from niaga.inbox.models import Message
from niaga.incidents.models import Incident
from niaga.security import audit, secrets_at_rest
from niaga.security.models import ApiToken, AuditEntry, User, WebSession

# The guide's five steps after a breach, in order.
STEPS = (
    ("contain", "Contain: revoke access, change passwords, rotate secrets"),
    ("assess", "Assess: what was touched, which customers, which data"),
    ("notify_customers", "Notify the affected customers"),
    ("report_authority", "Report to the authority (UU PDP: within 3 × 24 hours)"),
    ("review", "Review and improve, so it does not happen again"),
)
CUSTOMER_KINDS = ("contacts", "messages", "conversations", "orders", "recipients")


class IncidentError(DomainError):
    """An incident change that cannot be made."""


def do_open(
    session: Session,
    *,
    title: str,
    window_from: datetime,
    window_to: datetime | None,
    user_ids: list[int],
    ips: list[str],
    tokens: list[str],
    by_user_id: int | None,
) -> Incident:
    """Open an incident for a window and its suspects."""
    title = " ".join(title.split())[:200]
    if not title:
        raise IncidentError("incident_title", "Give the incident a short name.", field="title")
    if window_to is not None and window_to <= window_from:
        raise IncidentError(
            "incident_window", "The window must end after it starts.", field="window_to"
        )
    if not (user_ids or ips or tokens):
        raise IncidentError(
            "incident_suspects",
            "Name at least one person, address or API token.",
            field="user_ids",
        )
    incident = Incident(
        title=title,
        opened_by_user_id=by_user_id,
        window_from=window_from,
        window_to=window_to,
        suspects={
            "user_ids": sorted(set(user_ids)),
            "ips": sorted({i.strip() for i in ips if i.strip()}),
            "tokens": sorted({t.strip()[:10] for t in tokens if t.strip()}),
        },
        steps={},
    )
    session.add(incident)
    session.flush()
    audit.record(
        session,
        "incident.opened",
        target=("incident", incident.id),
        details={"title": title, **incident.suspects},
    )
    return incident


def get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id) if incident_id < 2**62 else None
    if incident is None:
        raise NotFoundError("incident_not_found", "Incident not found.")
    return incident


@dataclass
class Scope:
    """What an incident touched, according to the audit log."""

    entries: list[AuditEntry] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    data_kinds: list[str] = field(default_factory=list)


def _suspect_clause(incident: Incident) -> Any:
    s = incident.suspects or {}
    clauses = []
    if s.get("user_ids"):
        clauses.append(AuditEntry.actor_user_id.in_(s["user_ids"]))
    if s.get("ips"):
        clauses.append(AuditEntry.ip.in_(s["ips"]))
    for prefix in s.get("tokens", []):
        clauses.append(AuditEntry.actor.startswith(f"API token {prefix}"))
    return or_(*clauses) if clauses else AuditEntry.id < 0


def scope(session: Session, incident: Incident, tz: str, *, limit: int = 500) -> Scope:
    """The suspects' entries in the window, and the customers and data they reached."""
    until = incident.window_to or clock.now()
    rows = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.at >= incident.window_from, AuditEntry.at <= until)
            .where(_suspect_clause(incident))
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
    )
    found = Scope(entries=rows)
    found.people = sorted({e.actor for e in rows})
    found.addresses = sorted({e.ip for e in rows if e.ip})
    customers: set[int] = set()
    kinds: set[str] = set()
    for e in rows:
        if e.kind == "data.export":
            kind = str(e.details.get("kind"))
            found.exports.append({"at": e.at, "who": e.actor, **e.details})
            if e.target_kind == "contact" and e.target_id and e.target_id.isdigit():
                customers.add(int(e.target_id))
                kinds.update(("contact", "messages", "orders", "consent"))
            elif kind in CUSTOMER_KINDS and e.details.get("first") and e.details.get("last"):
                kinds.add(kind)
                customers.update(_customers_in(session, e.details["first"], e.details["last"], tz))
        elif not e.kind.startswith(("auth.", "token.used")):
            found.changes.append({"at": e.at, "who": e.actor, "kind": e.kind, **e.details})
    found.customer_ids = sorted(customers)
    found.data_kinds = sorted(kinds)
    return found


def _customers_in(session: Session, first: str, last: str, tz: str) -> set[int]:
    """Customers with a message on those local days (who an export of that span holds)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(date.fromisoformat(first), time(), zone)
    end = datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(), zone)
    return set(
        session.scalars(
            select(Message.contact_id)
            .where(Message.created_at >= start, Message.created_at < end)
            .distinct()
        )
    )


def affected(session: Session, customer_ids: list[int]) -> list[tuple[int, str, str]]:
    """(id, name, masked number) of the affected customers still on file."""
    if not customer_ids:
        return []
    rows = session.execute(
        select(Contact.id, Contact.display_name, Contact.profile_name, Contact.phone)
        .where(Contact.id.in_(customer_ids), Contact.erased_at.is_(None))
        .order_by(Contact.id)
    ).all()
    return [(r.id, r.display_name or r.profile_name or "", mask(r.phone or "")) for r in rows]


def draft_customer_notice(incident: Incident, found: Scope, shop: str, locale: str, tz: str) -> str:
    """A notice to the affected customers (to edit before sending)."""
    kinds = ", ".join(found.data_kinds) or "-"
    when = clock.as_utc(incident.window_from).astimezone(ZoneInfo(tz)).strftime("%d-%m-%Y")
    if locale == "id":
        return (
            f"Pelanggan {shop} yang terhormat,\n\n"
            f"Pada {when} kami menemukan akses yang tidak sah ke sistem layanan pelanggan kami. "
            f"Data yang mungkin terdampak: {kinds} (nomor WhatsApp, nama, isi percakapan, "
            "pesanan). Kata sandi dan data kartu pembayaran tidak kami simpan.\n\n"
            "Yang sudah kami lakukan: menutup akses tersebut, mengganti kata sandi dan kunci "
            "keamanan, dan melaporkan kejadian ini kepada pihak berwenang.\n\n"
            "Yang dapat Anda lakukan: waspadai pesan yang mengatasnamakan kami dan meminta "
            "pembayaran, kode OTP, atau data pribadi. Kami tidak pernah meminta kode OTP.\n\n"
            "Bila ada pertanyaan, balas pesan ini. Mohon maaf atas ketidaknyamanan ini.\n"
            f"{shop}"
        )
    return (
        f"Dear {shop} customer,\n\n"
        f"On {when} we found unauthorised access to our customer service system. Data that "
        f"may be affected: {kinds} (WhatsApp number, name, chat contents, orders). We do not "
        "keep passwords or payment card data.\n\n"
        "What we did: closed that access, changed passwords and security keys, and reported "
        "the incident to the authority.\n\n"
        "What you can do: beware of messages in our name asking for payment, OTP codes or "
        "personal data. We never ask for OTP codes.\n\n"
        f"If you have questions, reply to this message. We apologise.\n{shop}"
    )


def draft_authority_report(
    incident: Incident, found: Scope, shop: str, affected_count: int, tz: str
) -> str:
    """The written notice UU PDP art. 46 asks for (to the institution), in Bahasa Indonesia."""
    zone = ZoneInfo(tz)

    def local(at: datetime) -> str:
        return clock.as_utc(at).astimezone(zone).strftime(f"%d-%m-%Y %H:%M ({tz})")

    lines = [
        f"Pemberitahuan Kegagalan Pelindungan Data Pribadi — {shop}",
        "",
        f"1. Waktu kejadian: {local(incident.window_from)}"
        f" s.d. {local(incident.window_to or clock.now())}",
        f"   Diketahui: {local(incident.opened_at)}",
        f"2. Data pribadi yang terungkap: {', '.join(found.data_kinds) or 'sedang dinilai'}",
        f"   Jumlah subjek data terdampak: {affected_count}",
        f"3. Cara terungkap: akses oleh {', '.join(found.people) or '-'}"
        f" dari alamat {', '.join(found.addresses) or '-'};"
        f" {len(found.exports)} ekspor data tercatat.",
        "4. Upaya penanganan dan pemulihan:",
    ]
    for key, name in STEPS:
        done = (incident.steps or {}).get(key)
        mark = f"selesai {local(datetime.fromisoformat(done['at']))}" if done else "belum"
        lines.append(f"   - {gettext(name, 'id')}: {mark}")
    lines += ["", "Narahubung: pemilik usaha, melalui nomor WhatsApp bisnis ini."]
    return "\n".join(lines)


def do_step(
    session: Session, incident: Incident, key: str, *, note: str, by_user_id: int | None
) -> None:
    """Mark one of the five steps done, with when and a note."""
    if key not in dict(STEPS):
        raise IncidentError("incident_step", "Unknown step.", field="step")
    steps = dict(incident.steps or {})
    steps[key] = {"at": clock.now().isoformat(), "by": by_user_id, "note": note.strip()[:2000]}
    incident.steps = steps
    audit.record(session, "incident.step", target=("incident", incident.id), details={"step": key})
    if all(k in steps for k, _ in STEPS) and incident.closed_at is None:
        incident.closed_at = clock.now()
        audit.record(session, "incident.closed", target=("incident", incident.id))


def do_save_drafts(
    session: Session, incident: Incident, customer_notice: str, authority_report: str
) -> None:
    incident.customer_notice = customer_notice[:20000] or None
    incident.authority_report = authority_report[:20000] or None


def do_contain(
    session: Session, incident: Incident, *, keep_session_id: int | None, by_user_id: int | None
) -> dict[str, int]:
    """Step one in one go: sign every suspect (everyone, without named people) out, revoke
    the suspects' API tokens (every token when one was named), rotate the key that seals the
    stored secrets. Meta's access token and app secret are rotated in Meta's App Dashboard:
    the page says how."""
    s = incident.suspects or {}
    sessions_q = delete(WebSession)
    if s.get("user_ids"):
        sessions_q = sessions_q.where(WebSession.user_id.in_(s["user_ids"]))
    if keep_session_id is not None:
        sessions_q = sessions_q.where(WebSession.id != keep_session_id)
    ended = session.execute(sessions_q).rowcount
    tokens_q = update(ApiToken).where(ApiToken.revoked_at.is_(None))
    if s.get("user_ids") and not s.get("tokens"):
        tokens_q = tokens_q.where(ApiToken.user_id.in_(s["user_ids"]))
    revoked = session.execute(tokens_q.values(revoked_at=clock.now())).rowcount
    if s.get("user_ids"):
        session.execute(
            update(User)
            .where(User.id.in_(s["user_ids"]), User.role != "owner")
            .values(is_active=False)
        )
    rotated = secrets_at_rest.do_rotate_key(session)
    done = {"sessions_ended": ended, "tokens_revoked": revoked, "secrets_rotated": rotated}
    audit.record(session, "incident.contained", target=("incident", incident.id), details=done)
    do_step(
        session,
        incident,
        "contain",
        note=f"sessions ended {ended}, tokens revoked {revoked}, secrets re-sealed {rotated}",
        by_user_id=by_user_id,
    )
    return done
