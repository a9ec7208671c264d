"""Thin event listeners of automation (listed in :mod:`niaga.listeners`): each opens one
transaction and calls one service. Events that automation caused (``rule_id`` set) start no
rules; routing still drains queues whoever freed the agent. A customer's message is not
handled here but by the automation queue (:mod:`niaga.automation.queue`), off the webhook
processor's path."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import eta, routing, service
from niaga.core import events
from niaga.core.db import transaction
from niaga.inbox.models import Conversation

log = logging.getLogger(__name__)
Listener = Callable[[events.Event], None]


def listeners(factory: sessionmaker[Session]) -> list[tuple[str, Listener]]:
    """(event name, listener) pairs for :func:`niaga.listeners.register`."""

    def on_status_changed(event: events.Event) -> None:
        if event.data.get("status") != "resolved":
            return
        conversation_id = event.data["conversation_id"]
        with transaction(factory) as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is not None and conversation.assigned_user_id is not None:
                routing.do_drain_for_user(session, conversation.assigned_user_id)
        if event.data.get("rule_id") is None:
            with transaction(factory) as session:
                service.handle_resolved(session, conversation_id)

    def on_assigned(event: events.Event) -> None:
        previous = event.data.get("previous_user_id")
        if previous is not None and previous != event.data.get("user_id"):
            with transaction(factory) as session:
                routing.do_drain_for_user(session, previous)

    def on_label_added(event: events.Event) -> None:
        if event.data.get("rule_id") is not None:
            return
        with transaction(factory) as session:
            service.handle_label_added(
                session, event.data["conversation_id"], event.data["label_id"]
            )

    def on_message_queued(event: events.Event) -> None:
        origin = event.data.get("origin")
        if origin is not None and origin not in eta.HUMAN_ORIGINS:
            return
        with transaction(factory) as session:
            eta.do_record_first_response(session, event.data["message_id"])

    def on_order_status(event: events.Event) -> None:
        with transaction(factory) as session:
            service.handle_order_status(
                session,
                event.data["order_id"],
                event.data.get("conversation_id"),
                str(event.data.get("status", "")),
            )

    return [
        (events.CONVERSATION_STATUS_CHANGED, on_status_changed),
        (events.CONVERSATION_ASSIGNED, on_assigned),
        (events.LABEL_ADDED, on_label_added),
        (events.MESSAGE_QUEUED, on_message_queued),
        (events.ORDER_STATUS_CHANGED, on_order_status),
    ]
