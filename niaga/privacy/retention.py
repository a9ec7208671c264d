"""How long each kind of data is kept, and the scheduled purge that holds to it.

- raw webhooks (Meta's payloads as received, kept for inspection and replay): deleted once
  processed and older than ``raw_webhook_days``; dead letters likewise;
- what was sent (the outbox's rendered request bodies): emptied once finished and older than
  ``sent_payload_days``; the message row keeps its status;
- message contents: text, content and files of messages older than
  ``message_content_days`` are removed (kind, times and statuses stay for the figures);
- inactive customers: a customer with no message and no order for ``inactive_customer_days``
  is erased like an erasure request.

Each run works in slices, so a first purge of years of data never holds the database long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.inbox.models import Message
from niaga.orders.models import Order
from niaga.outbox.models import OutboxMessage
from niaga.privacy import erasure
from niaga.privacy.models import RetentionPolicy
from niaga.security import audit

SLICE = 2000
ERASE_SLICE = 100
FINISHED = ("sent", "failed", "cancelled", "in_doubt")


@dataclass(frozen=True)
class Retention:
    raw_webhook_days: int | None = 30
    sent_payload_days: int | None = 30
    message_content_days: int | None = None
    inactive_customer_days: int | None = None


FIELDS = tuple(Retention.__dataclass_fields__)


def load(session: Session) -> Retention:
    row = session.get(RetentionPolicy, 1)
    if row is None:
        return Retention()
    return Retention(**{f: getattr(row, f) for f in FIELDS})


def do_save(session: Session, values: dict[str, int | None]) -> Retention:
    """Keep the periods (each 1–3650 days, or None: keep)."""
    for key, days in values.items():
        if key not in FIELDS:
            raise DomainError("retention_unknown", "Unknown kind of data.", field=key)
        if days is not None and not 1 <= days <= 3650:
            raise DomainError(
                "retention_range", "Keep data 1 to 3650 days, or leave it empty.", field=key
            )
    row = session.get(RetentionPolicy, 1) or RetentionPolicy(id=1)
    before = load(session)
    for key, days in values.items():
        setattr(row, key, days)
    session.add(row)
    session.flush()
    after = load(session)
    changed = {
        k: [getattr(before, k), getattr(after, k)]
        for k in FIELDS
        if getattr(before, k) != getattr(after, k)
    }
    if changed:
        audit.record(session, "settings.changed", target=("settings", "retention"), details=changed)
    return after


def purge(
    factory: sessionmaker[Session],
    *,
    data_dir: Path,
    intake: sessionmaker[Session] | None = None,
) -> dict[str, int]:
    """One slice of each kind past its period; returns what was removed."""
    now = clock.now()
    with transaction(factory) as session:
        rules = load(session)
    done: dict[str, int] = {}
    if rules.raw_webhook_days:
        cutoff = now - timedelta(days=rules.raw_webhook_days)
        with transaction(intake or factory) as session:
            ids = list(
                session.scalars(
                    select(WebhookEvent.id)
                    .where(WebhookEvent.processed_at.is_not(None))
                    .where(WebhookEvent.processed_at < cutoff)
                    .limit(SLICE)
                )
            )
            done["raw_webhooks"] = session.execute(
                delete(WebhookEvent).where(WebhookEvent.id.in_(ids))
            ).rowcount
        with transaction(factory) as session:
            done["dead_letters"] = session.execute(
                delete(DeadLetter).where(DeadLetter.received_at < cutoff)
            ).rowcount
    if rules.sent_payload_days:
        cutoff = now - timedelta(days=rules.sent_payload_days)
        with transaction(factory) as session:
            ids = list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.state.in_(FINISHED))
                    .where(
                        func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at) < cutoff
                    )
                    .where(or_(OutboxMessage.body.is_not(None), OutboxMessage.message.is_not(None)))
                    .limit(SLICE)
                )
            )
            done["sent_payloads"] = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(body=None, message=None)
            ).rowcount
    if rules.message_content_days:
        cutoff = now - timedelta(days=rules.message_content_days)
        with transaction(factory) as session:
            row = session.get(RetentionPolicy, 1)
            after = row.message_cursor if row is not None else 0
            old = list(
                session.scalars(
                    select(Message)
                    .where(Message.id > after, Message.created_at < cutoff)
                    .order_by(Message.id)
                    .limit(SLICE)
                )
            )
            contents = [m for m in old if m.type != "note"]
            done["message_files"] = erasure.media_files(data_dir, contents)
            done["messages"] = (
                session.execute(
                    update(Message)
                    .where(Message.id.in_([m.id for m in contents]))
                    .values(text=None, content={"erased": True}, referral=None)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if contents
                else 0
            )
            if old:
                row = row or RetentionPolicy(id=1)
                row.message_cursor = old[-1].id
                session.add(row)
    if rules.inactive_customer_days:
        cutoff = now - timedelta(days=rules.inactive_customer_days)
        with transaction(factory) as session:
            idle = list(
                session.scalars(
                    select(Contact.id)
                    .where(Contact.erased_at.is_(None))
                    .where(or_(Contact.last_inbound_at.is_(None), Contact.last_inbound_at < cutoff))
                    .where(Contact.created_at < cutoff)
                    .where(
                        ~exists().where(
                            Message.contact_id == Contact.id, Message.created_at >= cutoff
                        )
                    )
                    .where(
                        ~exists().where(Order.contact_id == Contact.id, Order.created_at >= cutoff)
                    )
                    .limit(ERASE_SLICE)
                )
            )
        for contact_id in idle:
            with transaction(factory) as session:
                erasure.do_erase(session, contact_id, data_dir=data_dir, intake=intake)
        done["customers_erased"] = len(idle)
    with transaction(factory) as session:
        row = session.get(RetentionPolicy, 1) or RetentionPolicy(id=1)
        row.last_purge_at, row.last_purge = now, done
        session.add(row)
        if any(done.values()):
            audit.record(session, "privacy.purge", details=done)
    return done
