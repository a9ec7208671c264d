"""Import every model so metadata (and Alembic) sees all tables."""

from niaga.analytics.models import (
    ChatDay,
    DailyFigure,
    FigureBand,
    OwnerCost,
    ReportDelivery,
    RollupState,
)
from niaga.automation.models import (
    AutomationAction,
    AutomationRule,
    AutomationTrigger,
    BusinessProfile,
    CsatSurvey,
    ResponseSample,
    RoutingCursor,
)
from niaga.campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignVariant,
    ChatLink,
    ChatLinkStart,
    MessagingLimit,
    PricingRate,
    Segment,
)
from niaga.catalog.models import (
    CatalogSettings,
    Collection,
    Product,
    ProductCollection,
    ProductImage,
    SearchTerm,
    SearchToken,
)
from niaga.channels.whatsapp.models import AccountEvent, DeadLetter, WebhookEvent
from niaga.contacts.models import ConsentEvent, Contact, ContactImport, ContactLabel, Label
from niaga.core.db import Base
from niaga.core.jobs.models import PeriodicRun, ScheduledJob
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
from niaga.outgoing_webhooks.models import WebhookDelivery
from niaga.security.models import (
    ApiToken,
    Invite,
    SignInThrottle,
    Team,
    TeamMember,
    User,
    WebSession,
)
from niaga.templates.models import MessageTemplate, TemplateChange

__all__ = [
    "AccountEvent",
    "ApiToken",
    "AutomationAction",
    "AutomationRule",
    "AutomationTrigger",
    "Base",
    "BusinessProfile",
    "Campaign",
    "CampaignRecipient",
    "CampaignVariant",
    "CatalogSettings",
    "ChatDay",
    "ChatLink",
    "ChatLinkStart",
    "Collection",
    "ConsentEvent",
    "Contact",
    "ContactImport",
    "ContactLabel",
    "Conversation",
    "ConversationActivity",
    "ConversationLabel",
    "CsatSurvey",
    "DailyFigure",
    "DeadLetter",
    "FigureBand",
    "Invite",
    "Label",
    "Message",
    "MessageStatusEvent",
    "MessageTemplate",
    "MessagingLimit",
    "Order",
    "OrderItem",
    "OrderStatusChange",
    "OrderStatusReply",
    "OutboxMessage",
    "OwnerCost",
    "PeriodicRun",
    "PricingRate",
    "Product",
    "ProductCollection",
    "ProductImage",
    "QuickReply",
    "ReportDelivery",
    "ResponseSample",
    "RollupState",
    "RoutingCursor",
    "ScheduledJob",
    "SearchTerm",
    "SearchToken",
    "Segment",
    "SignInThrottle",
    "Team",
    "TeamMember",
    "TemplateChange",
    "User",
    "WebSession",
    "WebhookDelivery",
    "WebhookEvent",
]
