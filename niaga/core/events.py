"""In-process event bus: events carry ids, listeners are listed by hand.

Events are published after commit (see :func:`niaga.core.db.on_commit`). Listeners must be
thin and must not raise; a failing listener is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

MESSAGE_RECEIVED = "message.received"
MESSAGE_STATUS_CHANGED = "message.status_changed"
MESSAGE_QUEUED = "message.queued"
CONVERSATION_CREATED = "conversation.created"
CONTACT_OPTED_OUT = "contact.opted_out"
CONTACT_CONSENT_CHANGED = "contact.consent_changed"  # contact_id, purpose, granted, source
TEMPLATE_STATUS_CHANGED = "template.status_changed"
CONVERSATION_ASSIGNED = "conversation.assigned"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
LABEL_ADDED = "conversation.label_added"
LABEL_REMOVED = "conversation.label_removed"
CONTACT_LABEL_CHANGED = "contact.label_changed"
NOTE_ADDED = "conversation.note_added"
# Orders emit this with order_id, conversation_id, status.
ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"


@dataclass(frozen=True)
class Event:
    """Something that happened, named by ``name``, with ids in ``data``."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]
_listeners: dict[str, list[Listener]] = defaultdict(list)


def subscribe(name: str, listener: Listener) -> None:
    """Register ``listener`` for events called ``name`` ("*" for all)."""
    _listeners[name].append(listener)


def unsubscribe(name: str, listener: Listener) -> None:
    """Remove a listener registered with :func:`subscribe`."""
    if listener in _listeners.get(name, []):
        _listeners[name].remove(listener)


def publish(event: Event) -> None:
    """Deliver ``event`` to its listeners now (call after commit)."""
    for listener in [*_listeners.get(event.name, []), *_listeners.get("*", [])]:
        try:
            listener(event)
        except Exception:  # a listener must never break the caller
            log.exception("listener %r failed on %s", listener, event.name)


def emit_on_commit(session: Any, name: str, **data: Any) -> None:
    """Publish an event once ``session`` commits."""
    from niaga.core.db import on_commit

    on_commit(session, lambda: publish(Event(name, data)))
