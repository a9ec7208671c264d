"""Customer lists the business brings (CSV or XLSX): a dry run that lists every bad row, and
nothing imported until the owner confirms.

Columns are found by their header in Bahasa Indonesia or English: the phone number (required),
the name, marketing consent (ya/yes/1/true) and where it was given, labels (comma separated);
every other column becomes a contact attribute. A row is skipped when its number is invalid or
repeats an earlier row; a row without consent is imported as a contact that receives no
promotions. Confirming records each consent in the ledger with the file and row as proof.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from niaga.contacts import consent
from niaga.contacts.models import Contact, ContactImport, ContactLabel, Label
from niaga.core import clock
from niaga.core.errors import ConflictError, DomainError, NotFoundError
from niaga.core.phone import InvalidPhoneError, to_e164, wa_id_from_e164

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
PHONE = (
    "phone",
    "telepon",
    "nomor",
    "no hp",
    "nomor hp",
    "no wa",
    "nomor wa",
    "whatsapp",
    "wa",
    "hp",
    "handphone",
    "mobile",
    "phone number",
    "nomor telepon",
)
NAME = ("name", "nama", "nama lengkap", "full name", "customer", "pelanggan")
CONSENT = (
    "consent",
    "persetujuan",
    "setuju",
    "opt in",
    "opt-in",
    "optin",
    "marketing",
    "boleh promo",
    "izin promo",
    "marketing consent",
)
SOURCE = ("consent source", "sumber persetujuan", "sumber", "source")
LABELS = ("labels", "label", "tags", "tag")
YES = {"ya", "yes", "y", "1", "true", "benar", "setuju", "boleh", "ok", "iya"}
NO = {"tidak", "no", "n", "0", "false", "tdk", "ga", "gak", "tidak setuju", ""}


class ImportRefused(DomainError):
    """The file cannot be read as a customer list."""


@dataclass
class RowProblem:
    """A row that is skipped (or imported without consent), with why."""

    row: int
    phone: str
    reason: str  # invalid_phone | duplicate | missing_consent | unclear_consent
    detail: str = ""


@dataclass
class Report:
    """What the import will do (dry run) or did (confirmed)."""

    rows: int = 0
    new: int = 0
    updated: int = 0
    with_consent: int = 0
    skipped: list[RowProblem] = field(default_factory=list)
    without_consent: list[RowProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # file column -> what it became

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "with_consent": self.with_consent,
            "skipped": [vars(p) for p in self.skipped],
            "without_consent": [vars(p) for p in self.without_consent],
            "columns": self.columns,
        }


def _key(header: str) -> str:
    return " ".join(re.sub(r"[_\-./]+", " ", header.strip().lower()).split())


def read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of a CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or XLSX file."""
    if len(data) > MAX_BYTES:
        raise ImportRefused("import_too_big", "The file is larger than 10 MB.", field="file")
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = list(_limited(reader))
    except csv.Error as exc:
        raise ImportRefused(
            "import_unreadable", "The file is not a readable CSV or Excel file.", field="file"
        ) from exc
    return _as_dicts(rows)


def _read_xlsx(data: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # not a workbook (zip, encrypted…): say so, never a 500
        raise ImportRefused(
            "import_unreadable", "The file is not a readable CSV or Excel file.", field="file"
        ) from exc
    sheet = book.worksheets[0]
    rows = [
        ["" if v is None else _cell(v) for v in row]
        for row in _limited(sheet.iter_rows(values_only=True))
    ]
    book.close()
    return _as_dicts(rows)


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 6281234567890 typed as a number
    return str(value)


def _limited(rows: Any) -> Any:
    for i, row in enumerate(rows):
        if i > MAX_ROWS:
            raise ImportRefused(
                "import_too_many_rows",
                "The file has more than {limit} rows; split it.",
                field="file",
                limit=MAX_ROWS,
            )
        yield row


def _as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise ImportRefused("import_empty", "The file has no rows.", field="file")
    header = [str(h).strip() for h in rows[0]]
    return [
        {header[i]: str(v).strip() for i, v in enumerate(r) if i < len(header) and header[i]}
        for r in rows[1:]
    ]


ROLES = (
    ("phone", PHONE),
    ("name", NAME),
    ("consent", CONSENT),
    ("consent_source", SOURCE),
    ("labels", LABELS),
)


def _columns(headers: list[str]) -> dict[str, str]:
    """What each column is: an exact name first, then a header that contains one ("Setuju
    promo" is consent); each role once, every other column an attribute."""
    found: dict[str, str] = {}
    for exact in (True, False):
        for header in headers:
            if header in found:
                continue
            words = _key(header).split()
            key = " ".join(words)
            for role, names in ROLES:
                if role in found.values():
                    continue
                if any(key == name if exact else set(name.split()) <= set(words) for name in names):
                    found[header] = role
                    break
    return {header: found.get(header, "attribute") for header in headers}


def plan(session: Session, rows: list[dict[str, str]]) -> tuple[Report, list[dict[str, Any]]]:
    """The dry run: what each row becomes, and the rows to import once confirmed."""
    headers = list(rows[0]) if rows else []
    columns = _columns(headers)
    if "phone" not in columns.values():
        raise ImportRefused(
            "import_no_phone_column",
            "No phone number column: name one phone, nomor or whatsapp.",
            field="file",
        )
    report = Report(rows=len(rows), columns=columns)
    seen: dict[str, int] = {}
    ready: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        values = {role: row.get(col, "") for col, role in columns.items() if role != "attribute"}
        raw = values.get("phone", "")
        try:
            phone = to_e164(raw)
        except InvalidPhoneError:
            report.skipped.append(RowProblem(number, raw, "invalid_phone"))
            continue
        if phone in seen:
            report.skipped.append(RowProblem(number, raw, "duplicate", f"row {seen[phone]}"))
            continue
        seen[phone] = number
        said = _key(values.get("consent", "")) if "consent" in values else ""
        if said in YES:
            granted: bool | None = True
        elif said in NO:
            granted = None
            report.without_consent.append(RowProblem(number, raw, "missing_consent"))
        else:
            granted = None
            report.without_consent.append(
                RowProblem(number, raw, "unclear_consent", values.get("consent", ""))
            )
        ready.append(
            {
                "row": number,
                "phone": phone,
                "name": values.get("name", "")[:256] or None,
                "consent": granted,
                "consent_source": values.get("consent_source", "")[:200] or None,
                "labels": [
                    x.strip()[:100] for x in values.get("labels", "").split(",") if x.strip()
                ],
                "attributes": {
                    col[:64]: row.get(col, "")[:500]
                    for col, role in columns.items()
                    if role == "attribute" and row.get(col)
                },
            }
        )
    existing = _existing(session, [r["phone"] for r in ready])
    report.updated = sum(1 for r in ready if r["phone"] in existing)
    report.new = len(ready) - report.updated
    report.with_consent = sum(1 for r in ready if r["consent"])
    return report, ready


def _existing(session: Session, phones: list[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for start in range(0, len(phones), 500):
        part = phones[start : start + 500]
        wa_ids = [wa_id_from_e164(p) for p in part]
        for contact in session.scalars(
            select(Contact).where(or_(Contact.phone.in_(part), Contact.wa_id.in_(wa_ids)))
        ):
            key = contact.phone or ("+" + contact.wa_id if contact.wa_id else "")
            found[key] = contact
    return found


def do_dry_run(session: Session, data: bytes, filename: str, user_id: int | None) -> ContactImport:
    """Read the file and keep what it would import; nothing changes until confirmed."""
    report, ready = plan(session, read_table(data, filename))
    pending = ContactImport(
        filename=filename[:200],
        status="dry_run",
        report=report.as_dict(),
        rows=ready,
        created_by_user_id=user_id,
    )
    session.add(pending)
    session.flush()
    return pending


def do_confirm(session: Session, import_id: int, user_id: int | None) -> ContactImport:
    """Import what the dry run planned: contacts, labels, attributes and consent."""
    pending = session.get(ContactImport, import_id) if import_id < 2**63 else None
    if pending is None:
        raise NotFoundError("import_not_found", "Import not found.")
    if pending.status != "dry_run":
        raise ConflictError("import_done", "This import was confirmed already.")
    rows = pending.rows or []
    existing = _existing(session, [r["phone"] for r in rows])
    labels = _labels(session, {name for r in rows for name in r["labels"]})
    now = clock.now()
    for r in rows:
        contact = existing.get(r["phone"])
        if contact is None:
            contact = Contact(phone=r["phone"], wa_id=wa_id_from_e164(r["phone"]))
            session.add(contact)
            session.flush()
        contact.phone = contact.phone or r["phone"]
        if r["name"] and not contact.display_name:
            contact.display_name = r["name"]
        if r["attributes"]:
            contact.attributes = {**(contact.attributes or {}), **r["attributes"]}
        for name in r["labels"]:
            _label(session, contact.id, labels[name])
        if r["consent"]:
            consent.do_record(
                session,
                contact,
                granted=True,
                source="import",
                proof=f"{pending.filename}, row {r['row']}"
                + (f": {r['consent_source']}" if r["consent_source"] else ""),
                user_id=user_id,
                at=now,
            )
    pending.status = "imported"
    pending.confirmed_at = now
    pending.rows = None  # the contacts hold them now
    session.flush()
    return pending


def _labels(session: Session, names: set[str]) -> dict[str, int]:
    found = (
        {
            label.name: label.id
            for label in session.scalars(select(Label).where(Label.name.in_(names)))
        }
        if names
        else {}
    )
    for name in sorted(names - set(found)):
        label = Label(name=name)
        session.add(label)
        session.flush()
        found[name] = label.id
    return found


def _label(session: Session, contact_id: int, label_id: int) -> None:
    exists = session.scalars(
        select(ContactLabel.id).where(
            ContactLabel.contact_id == contact_id, ContactLabel.label_id == label_id
        )
    ).first()
    if exists is None:
        session.add(ContactLabel(contact_id=contact_id, label_id=label_id))
