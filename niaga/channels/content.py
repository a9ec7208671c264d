"""What a customer sent, per kind, in Niaga's own terms (not a channel's wire format).

A channel adapter (``channels/whatsapp/parse.py``) turns its payload into one of these frozen
structs; the inbox stores it in ``messages.content`` and every reader gets it back through
:func:`load` (the one codec: tagged JSON, ``{"kind": "cart", …}``). No domain code reads a
channel's keys. Referrals (the ad or post a chat started from) have their own struct, stored
in ``messages.referral``.

What happens to a message afterwards (the customer edits or deletes it, we marked it read)
is kept beside the content in the same struct (:class:`Content` fields), so it round-trips.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

MEDIA_KINDS: Final = ("image", "video", "audio", "document", "sticker")


class _Part(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Base of the parts inside a content struct."""


class Problem(_Part, frozen=True, kw_only=True):
    """Why the channel could not deliver (part of) an inbound message."""

    code: int = 0
    title: str | None = None
    details: str | None = None


class ProductRef(_Part, frozen=True, kw_only=True):
    """A product of the business's catalog the customer asked about."""

    sku: str | None = None
    catalog: str | None = None


class Edit(_Part, frozen=True, kw_only=True):
    """The customer changed the message's text at ``at``."""

    text: str | None = None
    at: datetime


class Content(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field="kind"):
    """Base of every kind: what the channel said went wrong, the product asked about, and
    what happened to the message since (edits, deletion, our read receipt)."""

    problems: tuple[Problem, ...] = ()
    asked_about: ProductRef | None = None
    edits: tuple[Edit, ...] = ()
    revoked: bool = False
    read_sent: bool = False


class Text(Content, frozen=True, kw_only=True, tag="text"):
    """A text message."""

    body: str = ""


class Media(Content, frozen=True, kw_only=True, tag="media"):
    """A photo, video, audio or voice note, document or sticker.

    ``media_id`` is the channel's handle to download it; ``url`` a link it can be fetched from.
    """

    media_kind: str = "document"
    media_id: str | None = None
    url: str | None = None
    mime: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False
    animated: bool = False


class Location(Content, frozen=True, kw_only=True, tag="location"):
    """A shared location."""

    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None
    url: str | None = None


class ContactCard(_Part, frozen=True, kw_only=True):
    """One shared contact card."""

    name: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    organisation: str | None = None


class Contacts(Content, frozen=True, kw_only=True, tag="contacts"):
    """Shared contact cards."""

    cards: tuple[ContactCard, ...] = ()


class Choice(Content, frozen=True, kw_only=True, tag="choice"):
    """The customer chose something we offered: a reply button (``via="button"``), a list row
    (``"list"``), a template's quick-reply button (``"template_button"``) or a completed form
    (``"flow"``, with its ``answers``)."""

    via: str = "button"
    choice_id: str | None = None
    title: str | None = None
    description: str | None = None
    answers: Any = None


class CartItem(_Part, frozen=True, kw_only=True):
    """One line of a cart: the catalog's SKU, how many and the price the customer saw."""

    sku: str = ""
    quantity: int = 1
    unit_price: float = 0
    currency: str = "IDR"


class Cart(Content, frozen=True, kw_only=True, tag="cart"):
    """A cart the customer sent from the catalog (it becomes an order)."""

    catalog: str | None = None
    note: str | None = None
    items: tuple[CartItem, ...] = ()


class Reaction(Content, frozen=True, kw_only=True, tag="reaction"):
    """An emoji on one of the conversation's messages; no emoji removes it."""

    target_wamid: str | None = None
    emoji: str | None = None


class NumberChange(Content, frozen=True, kw_only=True, tag="number_change"):
    """The customer moved to another phone number (``new_number``: the channel's address)."""

    new_number: str | None = None
    body: str | None = None


class IdentityChange(Content, frozen=True, kw_only=True, tag="identity_change"):
    """The customer's security identity changed (new phone or reinstall)."""

    body: str | None = None
    identity_hash: str | None = None


class ChangeNotice(Content, frozen=True, kw_only=True, tag="change_notice"):
    """An edit or a deletion of an earlier message, as it arrived (applied to its target)."""

    target_wamid: str | None = None
    deleted: bool = False
    text: str | None = None


class Unsupported(Content, frozen=True, kw_only=True, tag="unsupported"):
    """Something the channel could not show us (a poll, a view-once photo, a new type);
    ``what`` names it when the channel did."""

    what: str | None = None


class Referral(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The ad or post a conversation started from (Click-to-WhatsApp)."""

    source_kind: str | None = None  # ad | post
    source_ref: str | None = None  # the ad's or post's id
    url: str | None = None
    headline: str | None = None
    body: str | None = None
    media_kind: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    click_id: str | None = None  # Meta's click id, for conversions reporting


Inbound = (
    Text
    | Media
    | Location
    | Contacts
    | Choice
    | Cart
    | Reaction
    | NumberChange
    | IdentityChange
    | ChangeNotice
    | Unsupported
)


def dump(content: Content) -> dict[str, Any]:
    """The JSON-ready dict stored for ``content`` (tagged with its ``kind``)."""
    out: dict[str, Any] = msgspec.to_builtins(content)
    return out


def load(stored: Any) -> Content | None:
    """The content struct of a stored inbound message; ``None`` for anything else (outbound
    messages keep what was sent, notes nothing)."""
    if isinstance(stored, Content):
        return stored
    if not isinstance(stored, dict) or "kind" not in stored:
        return None
    try:
        found: Content = msgspec.convert(stored, Inbound)
    except msgspec.ValidationError:
        return None
    return found


def dump_referral(referral: Referral | None) -> dict[str, Any] | None:
    """The JSON-ready dict stored for a referral (``None`` stays ``None``)."""
    if referral is None:
        return None
    out: dict[str, Any] = msgspec.to_builtins(referral)
    return out


def load_referral(stored: Any) -> Referral | None:
    """The referral struct of a stored message or conversation, if any."""
    if isinstance(stored, Referral):
        return stored
    if not isinstance(stored, dict):
        return None
    try:
        return msgspec.convert(stored, Referral)
    except msgspec.ValidationError:
        return None
