"""Every event listener of Niaga, listed by hand (DESIGN.md §2).

Listeners are thin: each calls one service. :func:`register` runs once per process (the web
app and a standalone worker both call it); calling it again does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from niaga.core import events
from niaga.core.config import Settings

_registered: list[tuple[str, Callable[[events.Event], None]]] = []


def register(settings: Settings, factory: sessionmaker[Session]) -> None:
    """Subscribe every listener (idempotent per process)."""
    from niaga.community import actions as community_actions

    community_actions.install()  # automation's "add to group" joins a real group
    if _registered:
        return
    # Live pushes to browsers are subscribed by each web app for its own hub
    # (niaga.core.live.subscribe), and by a standalone worker for the Redis relay.
    # A customer's message is handled by the worker's automation queue (orders from carts,
    # status answers, rules): see niaga.runtime.message_reactions.
    from niaga.automation import hooks as automation

    listeners: list[tuple[str, Callable[[events.Event], None]]] = [
        *automation.listeners(factory),
    ]
    for name, listener in listeners:
        events.subscribe(name, listener)
        _registered.append((name, listener))


def unregister() -> None:
    """Remove every listener :func:`register` added (tests, shutdown)."""
    while _registered:
        name, listener = _registered.pop()
        events.unsubscribe(name, listener)
