"""Exports of the raw records (messages, conversations, contacts, orders, campaign recipients)
for a span of local days, as CSV or XLSX, streamed: rows are read in batches and written as
they come, so a million rows never sit in memory at once."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import xlsxwriter
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics.periods import Period, checked
from niaga.campaigns.models import CampaignRecipient
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.csv_safe import safe_writer
from niaga.core.phone import mask
from niaga.inbox.models import Conversation, Message
from niaga.orders.models import Order

BATCH = 2000


def _when(value: Any) -> Any:
    return clock.as_utc(value).isoformat() if value is not None else None


def _messages(p: Period) -> Select[Any]:
    return select(
        Message.id,
        Message.conversation_id,
        Message.contact_id,
        Message.direction,
        Message.type,
        Message.text,
        Message.status,
        Message.error_code,
        Message.origin,
        Message.created_at,
    ).where(Message.created_at >= p.start, Message.created_at < p.end)


def _conversations(p: Period) -> Select[Any]:
    return select(
        Conversation.id,
        Conversation.contact_id,
        Conversation.status,
        Conversation.team_id,
        Conversation.assigned_user_id,
        Conversation.created_at,
        Conversation.last_message_at,
        Conversation.resolved_at,
    ).where(Conversation.created_at >= p.start, Conversation.created_at < p.end)


def _contacts(p: Period) -> Select[Any]:
    return select(
        Contact.id,
        Contact.phone,
        Contact.display_name,
        Contact.profile_name,
        Contact.marketing_opt_out,
        Contact.last_inbound_at,
        Contact.created_at,
    ).where(Contact.created_at >= p.start, Contact.created_at < p.end)


def _orders(p: Period) -> Select[Any]:
    return select(
        Order.id,
        Order.number,
        Order.contact_id,
        Order.conversation_id,
        Order.status,
        Order.payment_status,
        Order.total,
        Order.source,
        Order.created_at,
    ).where(Order.created_at >= p.start, Order.created_at < p.end)


def _recipients(p: Period) -> Select[Any]:
    r = CampaignRecipient
    return select(
        r.id,
        r.campaign_id,
        r.contact_id,
        r.variant_id,
        r.state,
        r.reason,
        r.message_id,
        r.sent_at,
        r.clicked_at,
    ).where(r.sent_at >= p.start, r.sent_at < p.end)


KINDS: dict[str, Callable[[Period], Select[Any]]] = {
    "messages": _messages,
    "conversations": _conversations,
    "contacts": _contacts,
    "orders": _orders,
    "recipients": _recipients,
}


def span(first: date, last: date, zone: str) -> Period:
    """The local days ``first`` to ``last`` as one period."""
    return Period("day", checked(first, "first"), checked(last, "last"), zone)


def _rows(
    factory: sessionmaker[Session], kind: str, period: Period, mask_numbers: bool = False
) -> Iterator[list[Any]]:
    """The header, then every row, read in batches from a session of its own; numbers masked
    for someone who may not see them in full."""
    stmt = KINDS[kind](period)
    names = [c.name for c in stmt.selected_columns]
    hidden = (
        {i for i, name in enumerate(names) if name in ("phone", "wa_id")} if mask_numbers else set()
    )
    yield names
    with factory() as session:
        # yield_per before executing: a server-side cursor on PostgreSQL (psycopg would
        # otherwise fetch the whole result into memory at once); SQLite steps its cursor.
        result = session.execute(
            stmt.order_by(stmt.selected_columns[0]).execution_options(yield_per=BATCH)
        )
        for row in result:
            yield [
                mask(v or "") if i in hidden else _when(v) if hasattr(v, "tzinfo") else v
                for i, v in enumerate(row)
            ]


def csv_chunks(
    factory: sessionmaker[Session], kind: str, period: Period, mask_numbers: bool = False
) -> Iterator[bytes]:
    """The export as CSV, a batch of rows per chunk (formula-safe cells)."""
    rows = _rows(factory, kind, period, mask_numbers)
    header = next(rows)
    buffer = io.StringIO()
    writer = safe_writer(buffer, header)
    writer.writeheader()
    for n, row in enumerate(rows, start=1):
        writer.writerow(dict(zip(header, row, strict=True)))
        if n % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(
    factory: sessionmaker[Session], kind: str, period: Period, mask_numbers: bool = False
) -> str:
    """The export as an XLSX file on disk (XlsxWriter's constant-memory mode writes each row
    as it comes); the caller removes it once sent."""
    fd, path = tempfile.mkstemp(prefix="niaga-export-", suffix=".xlsx")
    os.close(fd)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(kind)
    for i, row in enumerate(_rows(factory, kind, period, mask_numbers)):
        sheet.write_row(i, 0, row)
    book.close()
    return path
