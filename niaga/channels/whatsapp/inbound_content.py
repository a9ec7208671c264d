"""Meta's message objects turned into Niaga's content structs (:mod:`niaga.channels.content`).

The only place that knows which of Meta's keys carries what: ``parse.py`` calls
:func:`content_of` for every inbound message, and the migration of messages stored before
typed content calls :func:`from_stored` on what they kept (Meta's object of the type plus a
few of Niaga's own keys).
"""

from __future__ import annotations

from typing import Any

import msgspec

from niaga.channels.content import (
    MEDIA_KINDS,
    Cart,
    CartItem,
    ChangeNotice,
    Choice,
    ContactCard,
    Contacts,
    Content,
    Edit,
    IdentityChange,
    Location,
    Media,
    NumberChange,
    Problem,
    ProductRef,
    Reaction,
    Referral,
    Text,
    Unsupported,
)
from niaga.channels.whatsapp.types import (
    ErrorInfo,
    WireContactCard,
    WireInteractive,
    WireMedia,
    WireMessage,
    WireProductItem,
    WireProductRef,
    WireReferral,
)

_decode = msgspec.json.Decoder().decode


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def media(kind: str, m: WireMedia) -> Media:
    """A media object (image, video, audio, document, sticker)."""
    return Media(
        media_kind=kind,
        media_id=_s(m.id),
        url=m.url,
        mime=m.mime_type,
        sha256=m.sha256,
        caption=m.caption or None,
        filename=m.filename or None,
        voice=bool(m.voice),
        animated=bool(m.animated),
    )


def content_of(kind: str, msg: WireMessage) -> Content:
    """The content struct of one ``messages[]`` object of type ``kind``."""
    if kind == "text":
        return Text(body=(msg.text.body if msg.text else None) or "")
    if kind in MEDIA_KINDS:
        found: WireMedia | None = getattr(msg, kind)
        return media(kind, found) if found is not None else Unsupported(what=kind)
    if kind == "interactive":
        return _choice(msg.interactive)
    if kind == "button":
        button = msg.button
        return Choice(
            via="template_button",
            choice_id=button.payload if button else None,
            title=button.text if button else None,
        )
    if kind == "order":
        order = msg.order
        if order is None:
            return Cart()
        return Cart(
            catalog=_s(order.catalog_id),
            note=order.text or None,
            items=tuple(_item(i) for i in order.product_items or ()),
        )
    if kind == "reaction":
        r = msg.reaction
        return Reaction(
            target_wamid=r.message_id if r else None, emoji=(r.emoji if r else None) or None
        )
    if kind == "location" and msg.location is not None:
        loc = msg.location
        return Location(
            latitude=loc.latitude,
            longitude=loc.longitude,
            name=loc.name,
            address=loc.address,
            url=loc.url,
        )
    if kind == "contacts":
        return Contacts(cards=tuple(_card(c) for c in msg.contacts or ()))
    if kind == "system":
        system = msg.system
        sub = system.type if system else None
        if sub == "user_changed_number":
            assert system is not None
            return NumberChange(new_number=_s(system.new_wa_id or system.wa_id), body=system.body)
        if sub == "customer_identity_changed" or msg.identity is not None:
            return IdentityChange(
                body=system.body if system else None,
                identity_hash=msg.identity.hash if msg.identity else None,
            )
        return Unsupported(what=sub or "system")
    if kind == "edit":
        edit = msg.edit
        inner = edit.message if edit else None
        text = inner.text.body if inner is not None and inner.text is not None else None
        if inner is not None and text is None:
            for candidate in (inner.image, inner.video, inner.document):
                if candidate is not None:
                    text = candidate.caption
                    break
        return ChangeNotice(target_wamid=edit.original_message_id if edit else None, text=text)
    if kind == "revoke":
        target = msg.revoke.original_message_id if msg.revoke else None
        return ChangeNotice(target_wamid=target, deleted=True)
    what = msg.unsupported.type if msg.unsupported and msg.unsupported.type else kind
    return Unsupported(what=what)


def _choice(inter: WireInteractive | None) -> Choice:
    sub = inter.type if inter is not None else None
    if inter is None:
        return Choice(via="unknown")
    if sub == "button_reply" and inter.button_reply is not None:
        r = inter.button_reply
        return Choice(via="button", choice_id=r.id, title=r.title)
    if sub == "list_reply" and inter.list_reply is not None:
        r = inter.list_reply
        return Choice(via="list", choice_id=r.id, title=r.title, description=r.description)
    if sub == "nfm_reply" and inter.nfm_reply is not None:
        f = inter.nfm_reply
        return Choice(via="flow", choice_id=f.name, title=f.body, answers=_answers(f.response_json))
    return Choice(via=sub or "unknown")


def _answers(response_json: str | None) -> Any:
    """A Flow's answers (``response_json`` is JSON inside a string), ``None`` if unreadable."""
    if not response_json:
        return None
    try:
        return _decode(response_json)
    except msgspec.DecodeError:
        return None


def _number(value: Any) -> float:
    try:
        return float(str(value).replace(",", ".")) if value not in (None, "") else 0.0
    except ValueError:
        return 0.0


def _item(i: WireProductItem) -> CartItem:
    try:
        quantity = max(1, int(float(str(i.quantity)))) if i.quantity not in (None, "") else 1
    except ValueError:
        quantity = 1
    return CartItem(
        sku=_s(i.product_retailer_id) or "",
        quantity=quantity,
        unit_price=_number(i.item_price),
        currency=(i.currency or "IDR")[:3],
    )


def _card(c: WireContactCard) -> ContactCard:
    return ContactCard(
        name=(c.name.formatted_name if c.name else None) or "",
        phones=tuple(p.phone or _s(p.wa_id) or "" for p in c.phones or () if p.phone or p.wa_id),
        emails=tuple(e.email for e in c.emails or () if e.email),
        organisation=c.org.company if c.org else None,
    )


def product_ref(ref: WireProductRef | None) -> ProductRef | None:
    """The catalog product a message asks about."""
    if ref is None:
        return None
    return ProductRef(sku=_s(ref.product_retailer_id), catalog=_s(ref.catalog_id))


def referral_of(ref: WireReferral | None) -> Referral | None:
    """The Click-to-WhatsApp ad or post a message came from."""
    if ref is None:
        return None
    return Referral(
        source_kind=ref.source_type,
        source_ref=_s(ref.source_id),
        url=ref.source_url,
        headline=ref.headline,
        body=ref.body,
        media_kind=ref.media_type,
        image_url=ref.image_url,
        video_url=ref.video_url,
        thumbnail_url=ref.thumbnail_url,
        click_id=ref.ctwa_clid,
    )


def problems(errors: tuple[ErrorInfo, ...]) -> tuple[Problem, ...]:
    """Meta's errors on an inbound message (e.g. an unsupported type)."""
    return tuple(
        Problem(code=e.code, title=e.title or e.message, details=e.details) for e in errors
    )


# ---------------------------------------------------------------------------------------------
# Messages stored before typed content (migration 0008)
# ---------------------------------------------------------------------------------------------

_NIAGA_KEYS = ("referred_product", "errors", "edits", "revoked", "read_sent", "identity")


def from_stored(message_type: str, stored: dict[str, Any]) -> Content:
    """The content struct of an inbound message stored before typed content: Meta's object of
    the type (interactive replies flattened to ``{type, id, title, …}``, shared contacts as
    ``{contacts: […]}``, system messages with ``identity``) plus Niaga's own keys."""
    kind = message_type.split(":")[0]
    own = {k: v for k, v in stored.items() if k not in _NIAGA_KEYS}
    wire: dict[str, Any] = {"type": kind}
    if kind == "interactive":
        sub = own.pop("type", None) or message_type.partition(":")[2]
        own.pop("response", None)
        wire[kind] = {"type": sub, sub: own}
    elif kind == "contacts":
        wire[kind] = own.get("contacts") or []
    else:
        wire[kind] = own
        if kind == "system" and isinstance(stored.get("identity"), dict):
            wire["identity"] = stored["identity"]
    msg = _lenient(wire)
    content = content_of(kind, msg) if msg is not None else Unsupported(what=kind)
    extras: dict[str, Any] = {}
    ref = stored.get("referred_product")
    if isinstance(ref, dict):
        extras["asked_about"] = product_ref(_lenient_ref(ref))
    errors = stored.get("errors")
    if isinstance(errors, list):
        extras["problems"] = tuple(
            Problem(code=_int(e.get("code")), title=e.get("title"), details=e.get("details"))
            for e in errors
            if isinstance(e, dict)
        )
    edits = stored.get("edits")
    if isinstance(edits, list):
        extras["edits"] = tuple(
            msgspec.convert(e, Edit, strict=False)
            for e in edits
            if isinstance(e, dict) and e.get("at")
        )
    extras["revoked"] = bool(stored.get("revoked"))
    extras["read_sent"] = bool(stored.get("read_sent"))
    return msgspec.structs.replace(content, **extras)


def referral_from_stored(stored: dict[str, Any]) -> Referral | None:
    """A referral as Meta sends it (in a webhook, or stored before typed content); ``None``
    when it cannot be read."""
    try:
        return referral_of(msgspec.convert(stored, WireReferral, strict=False))
    except msgspec.ValidationError:
        return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _lenient(wire: dict[str, Any]) -> WireMessage | None:
    try:
        return msgspec.convert(wire, WireMessage, strict=False)
    except msgspec.ValidationError:
        return None


def _lenient_ref(ref: dict[str, Any]) -> WireProductRef | None:
    try:
        return msgspec.convert(ref, WireProductRef, strict=False)
    except msgspec.ValidationError:
        return None
