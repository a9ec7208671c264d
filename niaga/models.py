"""Import every model so metadata (and Alembic) sees all tables."""

from niaga.channels.whatsapp.models import AccountEvent, DeadLetter, MessageTemplate, WebhookEvent
from niaga.contacts.models import Contact
from niaga.core.db import Base
from niaga.inbox.models import Conversation, Message, MessageStatusEvent
from niaga.outbox.models import OutboxMessage
from niaga.security.models import ApiToken, User

__all__ = [
    "AccountEvent",
    "ApiToken",
    "Base",
    "Contact",
    "Conversation",
    "DeadLetter",
    "Message",
    "MessageStatusEvent",
    "MessageTemplate",
    "OutboxMessage",
    "User",
    "WebhookEvent",
]
