"""Import every model so metadata (and Alembic) sees all tables."""

from niaga.catalog.models import (
    CatalogSettings,
    Collection,
    Product,
    ProductCollection,
    ProductImage,
    SearchTerm,
    SearchToken,
)
from niaga.channels.whatsapp.models import AccountEvent, DeadLetter, MessageTemplate, WebhookEvent
from niaga.contacts.models import Contact, ContactLabel, Label
from niaga.core.db import Base
from niaga.inbox.models import (
    Conversation,
    ConversationActivity,
    ConversationLabel,
    Message,
    MessageStatusEvent,
    QuickReply,
)
from niaga.orders.models import Order, OrderItem, OrderStatusChange, OrderStatusReply
from niaga.outbox.models import OutboxMessage
from niaga.security.models import ApiToken, Team, TeamMember, User, WebSession

__all__ = [
    "AccountEvent",
    "ApiToken",
    "Base",
    "CatalogSettings",
    "Collection",
    "Contact",
    "ContactLabel",
    "Conversation",
    "ConversationActivity",
    "ConversationLabel",
    "DeadLetter",
    "Label",
    "Message",
    "MessageStatusEvent",
    "MessageTemplate",
    "Order",
    "OrderItem",
    "OrderStatusChange",
    "OrderStatusReply",
    "OutboxMessage",
    "Product",
    "ProductCollection",
    "ProductImage",
    "QuickReply",
    "SearchTerm",
    "SearchToken",
    "Team",
    "TeamMember",
    "User",
    "WebSession",
    "WebhookEvent",
]
