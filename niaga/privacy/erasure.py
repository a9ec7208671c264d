"""Erasing a customer on request: nothing left that identifies them, the figures unchanged.

The contact row stays (orders, campaign sends and the daily rollups point at it, and the
business's totals must not move), with every identifying field emptied. Their messages
keep their kind, direction, times and statuses but lose their text, content and files;
orders keep amounts, items and statuses but lose the address and notes. Everywhere else a
copy of the person may sit (stored webhooks, the outbox, outgoing webhook payloads, the
automation log, contact imports, scheduled jobs), rows that mention their number are
scrubbed or, for raw copies, deleted. Search indexes follow the rows they index. Backups
made afterwards hold nothing of them; earlier backups age out by their own retention.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation.models import AutomationAction, AutomationTrigger, CsatSurvey
from niaga.channels.whatsapp.models import DeadLetter, WebhookEvent
from niaga.contacts.models import ConsentEvent, Contact, ContactImport, ContactLabel
from niaga.core import clock
from niaga.core.errors import NotFoundError
from niaga.core.jobs.models import ScheduledJob
from niaga.inbox.models import Conversation, ConversationActivity, Message, MessageStatusEvent
from niaga.loyalty.models import LoyaltyEntry
from niaga.orders.models import Order, OrderStatusChange
from niaga.outbox.models import OutboxMessage
from niaga.outgoing_webhooks.models import WebhookDelivery
from niaga.privacy.models import PrivacyRequest
from niaga.security import audit

ERASED = "[dihapus]"


def _scrub(value: Any, needles: tuple[str, ...]) -> Any:
    """``value`` with every string that contains a needle replaced by ``[dihapus]``; a
    record (a dict) with such a string loses all its strings (the name beside the number)."""
    if isinstance(value, str):
        return ERASED if any(n in value for n in needles) else value
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    if isinstance(value, dict):
        own = any(isinstance(v, str) and any(n in v for n in needles) for v in value.values())
        return {
            k: ERASED if own and isinstance(v, str) else _scrub(v, needles)
            for k, v in value.items()
        }
    return value


def _mentions(column: Any, needles: tuple[str, ...]) -> Any:
    """Rows whose JSON or text column contains any needle."""
    text = cast(column, String)
    return or_(*(text.contains(n, autoescape=True) for n in needles))


def _bytes_mention(session: Session, column: Any, needles: tuple[str, ...]) -> Any:
    """Rows whose raw bytes (a stored webhook's body) contain any needle."""
    if session.get_bind().dialect.name == "postgresql":
        text = func.encode(column, "escape")
        return or_(*(text.contains(n, autoescape=True) for n in needles))
    return or_(*(func.instr(column, n.encode()) > 0 for n in needles))


def _scrub_json(session: Session, model: Any, column_name: str, needles: tuple[str, ...]) -> int:
    column = getattr(model, column_name)
    count = 0
    for row_id, value in session.execute(
        select(model.id, column).where(column.is_not(None), _mentions(column, needles))
    ):
        session.execute(
            update(model).where(model.id == row_id).values({column_name: _scrub(value, needles)})
        )
        count += 1
    return count


def _delete_raw(session: Session, model: Any, needles: tuple[str, ...]) -> int:
    return session.execute(
        delete(model).where(_bytes_mention(session, model.body, needles))
    ).rowcount


def media_files(data_dir: Path, messages: Iterable[Message]) -> int:
    """Delete the cached and uploaded files of these messages."""
    from niaga.inbox import media

    removed = 0
    folder_in, folder_out = data_dir / "media" / "in", data_dir / "media" / "out"
    for message in messages:
        found = media.media_of(message)
        names = []
        if found.media_id and media_id_ok(found.media_id):
            names += [folder_in / found.media_id, folder_in / f"{found.media_id}.safe.jpg"]
            names += [folder_in / f"{found.media_id}.safe.png"]
        if found.link and "/media/out/" in found.link:
            name = found.link.split("/media/out/", 1)[1].split("?", 1)[0]
            if media.SAFE_NAME.match(name):
                names.append(folder_out / name)
        for path in names:
            if path.is_file():
                path.unlink()
                removed += 1
    return removed


def media_id_ok(media_id: str) -> bool:
    return media_id.replace("-", "").replace("_", "").isalnum() and len(media_id) <= 128


def do_erase(
    session: Session,
    contact_id: int,
    *,
    data_dir: Path,
    intake: sessionmaker[Session] | None = None,
    by_user_id: int | None = None,
) -> dict[str, int]:
    """Erase the customer ``contact_id``; returns what was touched, per kind."""
    contact = session.get(Contact, contact_id) if contact_id < 2**62 else None
    if contact is None:
        raise NotFoundError("contact_not_found", "Customer not found.")
    needles = tuple(
        n
        for n in {
            contact.phone,
            (contact.phone or "").lstrip("+"),
            contact.wa_id,
            contact.user_id,
            contact.username,
        }
        if n and len(n) >= 5
    )
    counts: dict[str, int] = {}
    conversations = list(
        session.scalars(select(Conversation.id).where(Conversation.contact_id == contact_id))
    )
    messages = list(session.scalars(select(Message).where(Message.contact_id == contact_id)))
    wamids = [m.wamid for m in messages if m.wamid]
    counts["media_files"] = media_files(data_dir, messages)
    counts["messages"] = session.execute(
        update(Message)
        .where(Message.contact_id == contact_id)
        .values(text=None, content={"erased": True}, referral=None, error_detail=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if conversations:
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(conversations))
            .values(last_message_preview=None, last_referral=None)
        )
        counts["notes"] = session.execute(
            update(ConversationActivity)
            .where(ConversationActivity.conversation_id.in_(conversations))
            .values(data={})
        ).rowcount
        counts["csat_comments"] = session.execute(
            update(CsatSurvey).where(CsatSurvey.contact_id == contact_id).values(comment=None)
        ).rowcount
        for model in (AutomationTrigger, AutomationAction):
            data_column = "data" if model is AutomationTrigger else "detail"
            session.execute(
                update(model)
                .where(model.conversation_id.in_(conversations))
                .values({data_column: {}})
            )
    for chunk in _chunks(wamids, 500):
        session.execute(
            update(MessageStatusEvent)
            .where(MessageStatusEvent.wamid.in_(chunk))
            .values(recipient_id=None, callback_data=None)
        )
    orders = list(session.scalars(select(Order.id).where(Order.contact_id == contact_id)))
    counts["orders"] = len(orders)
    if orders:
        session.execute(
            update(Order)
            .where(Order.id.in_(orders))
            .values(
                shipping_address=None,
                customer_note=None,
                notes=None,
                tracking_number=None,
                tracking_url=None,
            )
        )
        session.execute(
            update(OrderStatusChange)
            .where(OrderStatusChange.order_id.in_(orders))
            .values(note=None, data={}, notification_error=None)
        )
    session.execute(
        update(ConsentEvent)
        .where(ConsentEvent.contact_id == contact_id)
        .values(proof=None, message_wamid=None)
    )
    # Points stay (the shop's figures); what people typed about them goes.
    session.execute(
        update(LoyaltyEntry)
        .where(LoyaltyEntry.contact_id == contact_id, LoyaltyEntry.actor_user_id.is_not(None))
        .values(reason=None)
    )
    session.execute(delete(ContactLabel).where(ContactLabel.contact_id == contact_id))
    if needles:
        counts["outbox"] = session.execute(
            update(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.recipient.in_(needles),
                    OutboxMessage.message_id.in_(
                        select(Message.id).where(Message.contact_id == contact_id)
                    ),
                )
            )
            .values(recipient=None, message=None, body=None, error_detail=None)
        ).rowcount
        counts["webhook_deliveries"] = _scrub_json(session, WebhookDelivery, "payload", needles)
        counts["imports"] = _scrub_json(session, ContactImport, "rows", needles)
        _scrub_json(session, ContactImport, "report", needles)
        counts["jobs"] = _scrub_json(session, ScheduledJob, "payload", needles)
        counts["raw_webhooks"] = _delete_raw(session, DeadLetter, needles)
        if intake is None:
            counts["raw_webhooks"] += _delete_raw(session, WebhookEvent, needles)
        else:
            from niaga.core.db import transaction

            with transaction(intake) as other:
                counts["raw_webhooks"] += _delete_raw(other, WebhookEvent, needles)
    contact.phone = contact.wa_id = contact.user_id = contact.parent_user_id = None
    contact.username = contact.profile_name = contact.notes = None
    contact.display_name = f"{ERASED} #{contact.id}"
    contact.attributes = {}
    contact.marketing_opt_out = True  # never addressed again, even if the number returns
    contact.erased_at = clock.now()
    session.add(
        PrivacyRequest(
            contact_id=contact_id,
            kind="erasure",
            completed_at=clock.now(),
            by_user_id=by_user_id,
            summary=counts,
        )
    )
    audit.record(session, "privacy.erasure", target=("contact", contact_id), details=counts)
    session.flush()
    return counts


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
