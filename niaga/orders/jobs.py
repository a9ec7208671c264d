"""Order work that follows inbound messages, made durable.

An ``order`` (cart) message is stored by the webhook processor; the worker's automation queue
then calls :func:`handle_message`, which turns it into an order (and answers "status pesanan"
questions) in the queue's transaction. If the process dies between the two commits, nothing
is lost: both steps are idempotent per message (an order's
``source_message_id`` and :class:`OrderStatusReply` are unique) and :func:`catch_up`, run when
a worker starts and then every minute (a periodic job), redoes whatever a message still lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import is_transient, transaction
from niaga.core.jobs.registry import PeriodicSpec, Registry
from niaga.inbox.locks import own_conversations
from niaga.inbox.models import Message
from niaga.orders.lookup import asked_number, do_answer_status_query
from niaga.orders.models import Order, OrderStatusReply
from niaga.orders.service import do_create_order_from_message

log = logging.getLogger(__name__)

CATCH_UP_EVERY = 60.0
# Only recent questions are worth answering late; older carts still become orders.
QUESTION_HORIZON = timedelta(hours=24)
# Leave fresh messages to the live listener (it is idempotent anyway).
SETTLE = timedelta(seconds=10)
BATCH = 500


def handle_message(session: Session, message_id: int, settings: Settings) -> None:
    """The order work one inbound message needs (idempotent)."""
    message = session.get(Message, message_id)  # the automation round has it loaded already
    kind = message.type if message is not None else None
    if kind == "order":
        do_create_order_from_message(session, message_id, settings)
    elif kind == "text":
        do_answer_status_query(session, message_id, settings=settings)


def catch_up(factory: sessionmaker[Session], settings: Settings) -> int:
    """Redo missed work: carts without an order, recent questions without an answer."""
    done = 0
    now = clock.now()
    with factory() as session:
        carts = session.scalars(
            select(Message.id)
            .outerjoin(Order, Order.source_message_id == Message.id)
            .where(
                Message.type == "order",
                Message.direction == "in",
                Message.received_at < now - SETTLE,
                Order.id.is_(None),
            )
            .order_by(Message.id)
            .limit(BATCH)
        ).all()
        questions = session.execute(
            select(Message.id, Message.text)
            .outerjoin(OrderStatusReply, OrderStatusReply.message_id == Message.id)
            .where(
                Message.type == "text",
                Message.direction == "in",
                Message.received_at >= now - QUESTION_HORIZON,
                Message.received_at < now - SETTLE,
                OrderStatusReply.id.is_(None),
            )
            .order_by(Message.id)
            .limit(BATCH * 10)
        ).all()
    pending = list(carts) + [row.id for row in questions if asked_number(row.text) is not None]
    for message_id in pending:
        try:
            with transaction(factory) as session:
                conversation_id = session.scalar(
                    select(Message.conversation_id).where(Message.id == message_id)
                )
                if conversation_id is None or not own_conversations(session, [conversation_id]):
                    continue  # the automation queue is on this chat now; it does the same work
                handle_message(session, message_id, settings)
            done += 1
        except Exception as exc:
            if is_transient(exc):
                log.info("order catch-up lost a race on message %s; next minute", message_id)
            else:
                log.exception("order catch-up failed for message %s", message_id)
    if done:
        log.info("order catch-up handled %d messages", done)
    return done


def reaction(settings: Settings) -> Callable[[Session, int], None]:
    """What the automation queue runs for orders on each new inbound message."""

    def orders(session: Session, message_id: int) -> None:
        # Carts become orders; "status pesanan #12345" gets answered (both idempotent).
        handle_message(session, message_id, settings)

    return orders


def register(registry: Registry) -> None:
    """The order catch-up, every minute, one process at a time."""
    registry.add_periodic(
        PeriodicSpec(
            "orders.catch_up", CATCH_UP_EVERY, lambda ctx: catch_up(ctx.factory, ctx.settings)
        )
    )
