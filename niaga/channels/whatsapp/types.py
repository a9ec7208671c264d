"""WhatsApp Cloud API webhook types (FACTS.md §1).

Two layers live here:

* ``Wire*`` structs mirror Meta's JSON as sent (``value.messages[]``, ``value.statuses[]``…).
  They are lenient: every key is optional, unknown keys are ignored, and ids or timestamps that
  Meta documents as strings may also come as numbers. ``parse.py`` converts decoded JSON into
  them with msgspec, one item at a time when a payload is malformed.
* The domain items (:class:`InboundMessage`, :class:`StatusUpdate`, …) are what the rest of
  Niaga sees instead of raw JSON: frozen, normalised (UTC datetimes, one item per message,
  status, preference or notification) and each carrying where it came from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from niaga.channels.content import Content, Referral, Unsupported

# --------------------------------------------------------------------------------------------
# Wire format: Meta's JSON, as lenient structs
# --------------------------------------------------------------------------------------------

Id = str | int
"""Meta ids are strings, but some webhooks (template updates) send them as numbers."""

Timestamp = str | int | float
"""Unix seconds: a string in ``messages``/``statuses``, a number elsewhere."""


class _Wire(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """Base of the wire structs: frozen, unknown keys ignored."""


class WireErrorData(_Wire, frozen=True, kw_only=True):
    """``error_data`` of an error object."""

    details: str | None = None


class WireError(_Wire, frozen=True, kw_only=True):
    """An error object in ``messages[].errors``, ``statuses[].errors`` or ``value.errors``."""

    code: int | str | None = None
    title: str | None = None
    message: str | None = None
    error_data: WireErrorData | None = None
    href: str | None = None


class WireMetadata(_Wire, frozen=True, kw_only=True):
    """``value.metadata``: which business number the change is about."""

    display_phone_number: Id | None = None
    phone_number_id: Id | None = None


class WireProfile(_Wire, frozen=True, kw_only=True):
    """``contacts[].profile``."""

    name: str | None = None
    username: str | None = None


class WireContact(_Wire, frozen=True, kw_only=True):
    """``value.contacts[]``: the sender's profile, phone (``wa_id``) and BSUIDs."""

    profile: WireProfile | None = None
    wa_id: Id | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None


class WireProductRef(_Wire, frozen=True, kw_only=True):
    """``context.referred_product``: the catalog product a message asks about."""

    catalog_id: Id | None = None
    product_retailer_id: Id | None = None


class WireContext(_Wire, frozen=True, kw_only=True):
    """``messages[].context``: a quoted reply, a forward or a product inquiry."""

    from_: Id | None = msgspec.field(default=None, name="from")
    id: str | None = None
    forwarded: bool | None = None
    frequently_forwarded: bool | None = None
    referred_product: WireProductRef | None = None


class WireText(_Wire, frozen=True, kw_only=True):
    """``text`` of a text message."""

    body: str | None = None


class WireMedia(_Wire, frozen=True, kw_only=True):
    """``image``/``video``/``audio``/``document``/``sticker`` of a media message."""

    id: Id | None = None
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool | None = None
    animated: bool | None = None
    url: str | None = None


class WireLocation(_Wire, frozen=True, kw_only=True):
    """``location`` of a location message."""

    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    url: str | None = None


class WireContactName(_Wire, frozen=True, kw_only=True):
    """``contacts[].name`` of a shared contact card."""

    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class WirePhone(_Wire, frozen=True, kw_only=True):
    """``phones[]`` of a shared contact card."""

    phone: str | None = None
    wa_id: Id | None = None
    type: str | None = None


class WireEmail(_Wire, frozen=True, kw_only=True):
    """``emails[]`` of a shared contact card."""

    email: str | None = None


class WireOrg(_Wire, frozen=True, kw_only=True):
    """``org`` of a shared contact card."""

    company: str | None = None


class WireContactCard(_Wire, frozen=True, kw_only=True):
    """One shared contact card (``messages[].contacts[]``)."""

    name: WireContactName | None = None
    phones: list[WirePhone] | None = None
    emails: list[WireEmail] | None = None
    org: WireOrg | None = None


class WireReply(_Wire, frozen=True, kw_only=True):
    """``button_reply`` / ``list_reply`` of an interactive reply."""

    id: str | None = None
    title: str | None = None
    description: str | None = None


class WireNfmReply(_Wire, frozen=True, kw_only=True):
    """``nfm_reply`` of a completed WhatsApp Flow."""

    name: str | None = None
    body: str | None = None
    response_json: str | None = None


class WireInteractive(_Wire, frozen=True, kw_only=True):
    """``interactive`` of an interactive reply."""

    type: str | None = None
    button_reply: WireReply | None = None
    list_reply: WireReply | None = None
    nfm_reply: WireNfmReply | None = None


class WireButton(_Wire, frozen=True, kw_only=True):
    """``button`` of a template quick-reply button press."""

    payload: str | None = None
    text: str | None = None


class WireProductItem(_Wire, frozen=True, kw_only=True):
    """``order.product_items[]``."""

    product_retailer_id: str | None = None
    quantity: int | float | str | None = None
    item_price: int | float | str | None = None
    currency: str | None = None


class WireOrder(_Wire, frozen=True, kw_only=True):
    """``order`` of an order (cart) message."""

    catalog_id: Id | None = None
    text: str | None = None
    product_items: list[WireProductItem] | None = None


class WireReaction(_Wire, frozen=True, kw_only=True):
    """``reaction``: an empty or missing ``emoji`` removes the reaction."""

    message_id: str | None = None
    emoji: str | None = None


class WireIdentity(_Wire, frozen=True, kw_only=True):
    """``identity`` of a ``customer_identity_changed`` system message."""

    acknowledged: bool | None = None
    created_timestamp: Timestamp | None = None
    hash: str | None = None


class WireReferral(_Wire, frozen=True, kw_only=True):
    """``messages[].referral``: the Click-to-WhatsApp ad or post the chat started from."""

    source_url: str | None = None
    source_id: Id | None = None
    source_type: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None


class WireSystem(_Wire, frozen=True, kw_only=True):
    """``system``: ``user_changed_number`` or ``customer_identity_changed``."""

    body: str | None = None
    wa_id: Id | None = None
    new_wa_id: Id | None = None
    type: str | None = None
    customer: str | None = None


class WireUnsupported(_Wire, frozen=True, kw_only=True):
    """``unsupported``: what WhatsApp could not deliver to the Cloud API (e.g. a poll)."""

    type: str | None = None


class WireEditedMessage(_Wire, frozen=True, kw_only=True):
    """The new content inside ``edit.message``: a type and its object."""

    type: str | None = None
    text: WireText | None = None
    image: WireMedia | None = None
    video: WireMedia | None = None
    document: WireMedia | None = None


class WireEdit(_Wire, frozen=True, kw_only=True):
    """``edit``: the customer edited ``original_message_id``."""

    original_message_id: str | None = None
    message: WireEditedMessage | None = None


class WireRevoke(_Wire, frozen=True, kw_only=True):
    """``revoke``: the customer deleted ``original_message_id``."""

    original_message_id: str | None = None


class WireMessage(_Wire, frozen=True, kw_only=True):
    """One ``value.messages[]`` object; the key named by ``type`` holds the content."""

    id: str | None = None
    from_: Id | None = msgspec.field(default=None, name="from")
    from_user_id: str | None = None
    timestamp: Timestamp | None = None
    type: str | None = None
    context: WireContext | None = None
    # Kept as JSON and read leniently (inbound_content.referral_from_stored): an odd referral
    # must not cost the message.
    referral: dict[str, Any] | None = None
    errors: list[WireError] | None = None
    text: WireText | None = None
    image: WireMedia | None = None
    video: WireMedia | None = None
    audio: WireMedia | None = None
    document: WireMedia | None = None
    sticker: WireMedia | None = None
    location: WireLocation | None = None
    contacts: list[WireContactCard] | None = None
    interactive: WireInteractive | None = None
    button: WireButton | None = None
    order: WireOrder | None = None
    reaction: WireReaction | None = None
    system: WireSystem | None = None
    identity: WireIdentity | None = None
    unsupported: WireUnsupported | None = None
    edit: WireEdit | None = None
    revoke: WireRevoke | None = None


class WirePricing(_Wire, frozen=True, kw_only=True):
    """``statuses[].pricing``."""

    billable: bool | None = None
    pricing_model: str | None = None
    type: str | None = None
    category: str | None = None


class WireStatus(_Wire, frozen=True, kw_only=True):
    """One ``value.statuses[]`` object."""

    id: str | None = None
    status: str | None = None
    timestamp: Timestamp | None = None
    recipient_id: Id | None = None
    recipient_user_id: str | None = None
    recipient_type: str | None = None
    recipient_participant_id: Id | None = None
    errors: list[WireError] | None = None
    pricing: WirePricing | None = None
    conversation: dict[str, Any] | None = None
    biz_opaque_callback_data: str | None = None


class WireUserPreference(_Wire, frozen=True, kw_only=True):
    """One ``value.user_preferences[]`` object (marketing stop/resume)."""

    wa_id: Id | None = None
    user_id: str | None = None
    category: str | None = None
    value: str | None = None
    detail: str | None = None
    timestamp: Timestamp | None = None


class WireMessagesValue(_Wire, frozen=True, kw_only=True):
    """``value`` of a ``messages`` (or ``user_preferences``) change."""

    messaging_product: str | None = None
    metadata: WireMetadata | None = None
    contacts: list[WireContact] | None = None
    messages: list[WireMessage] | None = None
    statuses: list[WireStatus] | None = None
    errors: list[WireError] | None = None
    user_preferences: list[WireUserPreference] | None = None


class WireTemplateStatus(_Wire, frozen=True, kw_only=True):
    """``value`` of a ``message_template_status_update`` change."""

    event: str | None = None
    message_template_id: Id | None = None
    message_template_name: str | None = None
    message_template_language: str | None = None
    reason: str | None = None
    message_template_category: str | None = None
    rejection_info: dict[str, Any] | None = None


class WireTemplateQuality(_Wire, frozen=True, kw_only=True):
    """``value`` of a ``message_template_quality_update`` change."""

    previous_quality_score: str | None = None
    new_quality_score: str | None = None
    message_template_id: Id | None = None
    message_template_name: str | None = None
    message_template_language: str | None = None


# --------------------------------------------------------------------------------------------
# Domain items: what the rest of Niaga sees
# --------------------------------------------------------------------------------------------


class _Item(msgspec.Struct, frozen=True, kw_only=True):
    """Where an item came from: the change's ``field``, the WABA and the business number."""

    field: str
    waba_id: str | None = None
    phone_number_id: str | None = None
    display_phone_number: str | None = None


class ErrorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One of Meta's error objects (FACTS.md §3.1); ``code`` is 0 when Meta gave none."""

    code: int
    title: str | None = None
    message: str | None = None
    details: str | None = None
    href: str | None = None


class MessageContext(msgspec.Struct, frozen=True, kw_only=True):
    """What an inbound message refers to: a quoted message, a forward (a product it asks
    about is in its content's ``asked_about``)."""

    reply_to_wamid: str | None = None
    reply_to_from: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False


class InboundMessage(_Item, frozen=True, kw_only=True):
    """A message a customer sent (``value.messages[]``), of any type.

    ``text`` is the human-readable text to store and search; ``content`` is what was sent in
    Niaga's terms (:mod:`niaga.channels.content`); ``raw`` is the message object exactly as
    Meta sent it. Edits, revokes and reactions name the message they refer to in
    ``target_wamid``.
    """

    wamid: str
    from_wa_id: str | None = None
    from_user_id: str | None = None
    profile_name: str | None = None
    username: str | None = None
    parent_user_id: str | None = None
    timestamp: datetime
    type: str
    subtype: str | None = None
    text: str | None = None
    content: Content = msgspec.field(default_factory=Unsupported)
    context: MessageContext | None = None
    referral: Referral | None = None
    errors: tuple[ErrorInfo, ...] = ()
    media_id: str | None = None
    mime_type: str | None = None
    is_edit: bool = False
    is_revoke: bool = False
    target_wamid: str | None = None
    raw: dict[str, Any] = msgspec.field(default_factory=dict)


class Pricing(msgspec.Struct, frozen=True, kw_only=True):
    """Per-message pricing on a status (``billable`` is being deprecated by Meta)."""

    billable: bool | None = None
    pricing_model: str | None = None
    type: str | None = None
    category: str | None = None


class StatusUpdate(_Item, frozen=True, kw_only=True):
    """A delivery status of a message the business sent (``value.statuses[]``)."""

    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_type: str | None = None
    recipient_participant_id: str | None = None
    errors: tuple[ErrorInfo, ...] = ()
    pricing: Pricing | None = None
    conversation: dict[str, Any] | None = None
    biz_opaque_callback_data: str | None = None
    raw: dict[str, Any] = msgspec.field(default_factory=dict)


class ChangeError(_Item, frozen=True, kw_only=True):
    """System-level errors of a change (``value.errors[]``), e.g. 130429 rate limit hit."""

    errors: tuple[ErrorInfo, ...] = ()


class TemplateStatusUpdate(_Item, frozen=True, kw_only=True):
    """``message_template_status_update``: approved, rejected, paused, disabled…

    ``timestamp`` is the entry's ``time``; ``name``/``language`` are empty when Meta left
    them out (the template can still be found by ``template_id``).
    """

    event: str
    template_id: str | None = None
    name: str
    language: str
    reason: str | None = None
    category: str | None = None
    rejection_info: dict[str, Any] | None = None
    timestamp: datetime | None = None


class TemplateListing(msgspec.Struct, frozen=True, kw_only=True):
    """A template as Meta lists it (or accepted it on submission): its id, review status and
    definition (``components`` in Meta's template format)."""

    meta_id: str | None = None
    name: str
    language: str
    status: str = "PENDING"
    category: str | None = None
    parameter_format: str = "POSITIONAL"
    components: list[Any] = msgspec.field(default_factory=list)


class TemplateQualityUpdate(_Item, frozen=True, kw_only=True):
    """``message_template_quality_update``: a template's quality score moved."""

    template_id: str | None = None
    name: str
    language: str
    previous_quality: str | None = None
    new_quality: str | None = None


class UserPreference(_Item, frozen=True, kw_only=True):
    """``user_preferences``: a customer stopped or resumed marketing messages."""

    wa_id: str | None = None
    user_id: str | None = None
    category: str | None = None
    value: str
    detail: str | None = None
    timestamp: datetime | None = None


class AccountUpdate(_Item, frozen=True, kw_only=True):
    """Account-level notifications: ``account_update``, ``phone_number_quality_update``,
    ``business_capability_update``, ``account_alerts``, ``account_review_update`` and a few
    more (``field`` tells which). ``payload`` is the whole ``value``; ``timestamp`` is the
    entry's ``time``."""

    event: str | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    timestamp: datetime | None = None


class UnknownChange(_Item, frozen=True, kw_only=True):
    """Anything Niaga does not model (yet) or could not read, kept whole; ``reason`` says why."""

    value: Any = None
    reason: str | None = None


WebhookItem = (
    InboundMessage
    | StatusUpdate
    | ChangeError
    | TemplateStatusUpdate
    | TemplateQualityUpdate
    | UserPreference
    | AccountUpdate
    | UnknownChange
)
"""Everything :func:`niaga.channels.whatsapp.parse.parse_webhook` can yield."""


class ParsedWebhook(msgspec.Struct, frozen=True, kw_only=True):
    """Every item of one webhook POST, in order (entries, then changes, then items)."""

    object: str
    items: tuple[WebhookItem, ...]


__all__ = [
    "AccountUpdate",
    "ChangeError",
    "ErrorInfo",
    "InboundMessage",
    "MessageContext",
    "ParsedWebhook",
    "Pricing",
    "StatusUpdate",
    "TemplateQualityUpdate",
    "TemplateStatusUpdate",
    "UnknownChange",
    "UserPreference",
    "WebhookItem",
    "WireButton",
    "WireContact",
    "WireContactCard",
    "WireContactName",
    "WireContext",
    "WireEdit",
    "WireEditedMessage",
    "WireError",
    "WireErrorData",
    "WireInteractive",
    "WireLocation",
    "WireMedia",
    "WireMessage",
    "WireMessagesValue",
    "WireMetadata",
    "WireNfmReply",
    "WireOrder",
    "WirePricing",
    "WireProductItem",
    "WireProfile",
    "WireReaction",
    "WireReply",
    "WireRevoke",
    "WireStatus",
    "WireSystem",
    "WireTemplateQuality",
    "WireTemplateStatus",
    "WireText",
    "WireUnsupported",
    "WireUserPreference",
]
