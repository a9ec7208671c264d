"""Every message Niaga sends, as validated pydantic models.

``OutgoingMessage`` is a discriminated union on ``type`` so the JSON API can accept any of them
and FastAPI documents each shape. Each model checks Meta's limits up front (a clear pydantic
error naming the limit, instead of a 131009 from Meta later) and renders exactly Meta's request
body with :meth:`to_graph_body`.

Our ``type`` values are Niaga's, not always Meta's: media messages are one class per media type
(``image``, ``video``, ``audio``, ``document``, ``sticker``), and interactive messages have their
own names (``reply_buttons``, ``list``, ``cta_url``, ``location_request``, ``product``,
``product_list``, ``catalog``). :attr:`message_type` gives Meta's ``type`` (``interactive`` for
those). Limits follow Meta's OpenAPI spec (v23.0) and FACTS.md §2 and §4.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

__all__ = [
    "AudioMessage",
    "CatalogButtonParam",
    "CatalogMessage",
    "ContactsMessage",
    "CopyCodeButtonParam",
    "CtaUrlMessage",
    "CurrencyParam",
    "DateTimeParam",
    "DocumentMessage",
    "FlowButtonParam",
    "ImageMessage",
    "InteractiveHeader",
    "ListMessage",
    "ListRow",
    "ListSection",
    "LocationMessage",
    "LocationRequestMessage",
    "MediaHeader",
    "MediaMessage",
    "MpmButtonParam",
    "OutgoingMessage",
    "ProductItem",
    "ProductListMessage",
    "ProductMessage",
    "ProductSection",
    "QuickReplyButtonParam",
    "ReactionMessage",
    "ReplyButton",
    "ReplyButtonsMessage",
    "StickerMessage",
    "TemplateButtonParam",
    "TemplateHeader",
    "TemplateLocationHeader",
    "TemplateMediaHeader",
    "TemplateMessage",
    "TemplateParam",
    "TemplateTextHeader",
    "TextHeader",
    "TextMessage",
    "UrlButtonParam",
    "VideoMessage",
    "mark_read_body",
    "outgoing_adapter",
    "parse_outgoing",
]

# Limits (Meta's spec unless noted).
TEXT_BODY_MAX = 4096
CAPTION_MAX = 1024
INTERACTIVE_BODY_MAX = 1024  # spec BodyObject.text maxLength, for every interactive type
HEADER_TEXT_MAX = 60
FOOTER_MAX = 60
REPLY_BUTTON_ID_MAX = 256
REPLY_BUTTON_TITLE_MAX = 20
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_ROWS_MAX = 10  # in total across sections (Meta docs; the spec says 10 per section)
SECTIONS_MAX = 10
PRODUCTS_MAX = 30  # in total across sections
CTA_DISPLAY_TEXT_MAX = 20
CALLBACK_DATA_MAX = 512
COUPON_CODE_MAX = 15


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


def _limit(max_length: int) -> StringConstraints:
    return StringConstraints(min_length=1, max_length=max_length)


_NotBlank = AfterValidator(_not_blank)

# Non-blank strings with Meta's length limits (pydantic names the limit in its error).
Id = Annotated[str, _limit(512), _NotBlank]
Link = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_http_url)]
TextBody = Annotated[str, _limit(TEXT_BODY_MAX), _NotBlank]
Caption = Annotated[str, _limit(CAPTION_MAX), _NotBlank]
FileName = Annotated[str, _limit(240), _NotBlank]
Footer = Annotated[str, _limit(FOOTER_MAX), _NotBlank]
HeaderText = Annotated[str, _limit(HEADER_TEXT_MAX), _NotBlank]
InteractiveBody = Annotated[str, _limit(INTERACTIVE_BODY_MAX), _NotBlank]
PlaceText = Annotated[str, _limit(1000), _NotBlank]
ReplyId = Annotated[str, _limit(REPLY_BUTTON_ID_MAX), _NotBlank]
ReplyTitle = Annotated[str, _limit(REPLY_BUTTON_TITLE_MAX), _NotBlank]
ListButton = Annotated[str, _limit(LIST_BUTTON_MAX), _NotBlank]
SectionTitle = Annotated[str, _limit(SECTION_TITLE_MAX), _NotBlank]
RowId = Annotated[str, _limit(ROW_ID_MAX), _NotBlank]
RowTitle = Annotated[str, _limit(ROW_TITLE_MAX), _NotBlank]
RowDescription = Annotated[str, _limit(ROW_DESCRIPTION_MAX), _NotBlank]
CtaText = Annotated[str, _limit(CTA_DISPLAY_TEXT_MAX), _NotBlank]
Payload = Annotated[str, _limit(1000), _NotBlank]
UrlSuffix = Annotated[str, _limit(2000), _NotBlank]
CouponCode = Annotated[str, _limit(COUPON_CODE_MAX), _NotBlank]

_Strict = ConfigDict(extra="forbid", frozen=True)


class _Part(BaseModel):
    """A nested piece of a message (no extra keys, immutable)."""

    model_config = _Strict


class _Outgoing(BaseModel):
    """Common behaviour of every outgoing message."""

    model_config = _Strict

    _meta_type: ClassVar[str]

    @property
    def message_type(self) -> str:
        """Meta's ``type`` for this message (``interactive`` for interactive ones)."""
        return self._meta_type

    @property
    def is_template(self) -> bool:
        """True only for templates, the one kind allowed outside the 24-hour window."""
        return False

    def _payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary_text(self) -> str | None:
        """What an inbox shows for this message."""
        raise NotImplementedError

    def to_graph_body(
        self,
        to: str,
        *,
        context_wamid: str | None = None,
        callback_data: str | None = None,
        recipient_type: Literal["individual", "group"] = "individual",
    ) -> dict[str, Any]:
        """Meta's request body for ``POST /{phone-number-id}/messages``.

        ``context_wamid`` quotes (replies to) that message; ``callback_data`` is echoed by Meta
        in status webhooks as ``biz_opaque_callback_data`` (at most 512 characters).
        """
        if not to:
            raise ValueError("recipient 'to' must not be empty")
        if recipient_type not in ("individual", "group"):
            raise ValueError("recipient_type must be 'individual' or 'group'")
        kind = self.message_type
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": recipient_type,
            "to": to,
            "type": kind,
            kind: self._payload(),
        }
        if context_wamid:
            body["context"] = {"message_id": context_wamid}
        if callback_data is not None:
            if len(callback_data) > CALLBACK_DATA_MAX:
                raise ValueError(f"callback_data must be at most {CALLBACK_DATA_MAX} characters")
            body["biz_opaque_callback_data"] = callback_data
        return body


# --------------------------------------------------------------------------- text


class TextMessage(_Outgoing):
    """A plain text message (``body`` ≤ 4096 characters)."""

    _meta_type = "text"
    type: Literal["text"] = "text"
    body: TextBody
    preview_url: bool = Field(False, description="Render a preview of the first URL in body")

    def _payload(self) -> dict[str, Any]:
        return {"preview_url": self.preview_url, "body": self.body}

    def summary_text(self) -> str | None:
        return self.body


# --------------------------------------------------------------------------- media


class _MediaRef(BaseModel):
    """Exactly one of ``media_id`` (an uploaded media id) or ``link`` (http/https URL)."""

    media_id: Id | None = Field(None, description="Id from the media upload endpoint")
    link: Link | None = Field(None, description="Public http(s) URL Meta downloads")

    @model_validator(mode="after")
    def _one_source(self) -> Any:
        if (self.media_id is None) == (self.link is None):
            raise ValueError("give exactly one of media_id or link")
        return self

    def _media_object(self) -> dict[str, Any]:
        return {"id": self.media_id} if self.media_id is not None else {"link": self.link}


class _MediaMessage(_MediaRef, _Outgoing):
    _captioned: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _no_caption(cls, data: Any) -> Any:
        if not cls._captioned and isinstance(data, dict) and data.get("caption") is not None:
            raise ValueError(f"{cls._meta_type} messages cannot have a caption")
        return data

    def _payload(self) -> dict[str, Any]:
        obj = self._media_object()
        caption = getattr(self, "caption", None)
        if caption is not None:
            obj["caption"] = caption
        filename = getattr(self, "filename", None)
        if filename is not None:
            obj["filename"] = filename
        return obj

    def summary_text(self) -> str | None:
        return getattr(self, "caption", None) or getattr(self, "filename", None)


class ImageMessage(_MediaMessage):
    """An image (JPEG/PNG), optionally captioned."""

    _meta_type = "image"
    type: Literal["image"] = "image"
    caption: Caption | None = None


class VideoMessage(_MediaMessage):
    """A video (MP4/3GPP), optionally captioned."""

    _meta_type = "video"
    type: Literal["video"] = "video"
    caption: Caption | None = None


class AudioMessage(_MediaMessage):
    """An audio file or voice note (no caption)."""

    _meta_type = "audio"
    _captioned = False
    type: Literal["audio"] = "audio"


class StickerMessage(_MediaMessage):
    """A WebP sticker (no caption)."""

    _meta_type = "sticker"
    _captioned = False
    type: Literal["sticker"] = "sticker"


class DocumentMessage(_MediaMessage):
    """A document, with an optional caption and the file name the customer sees."""

    _meta_type = "document"
    type: Literal["document"] = "document"
    caption: Caption | None = None
    filename: FileName | None = None


MediaMessage = ImageMessage | VideoMessage | AudioMessage | StickerMessage | DocumentMessage
"""Any of the five media message classes (one class per Meta media type)."""


# --------------------------------------------------------------------------- simple


class LocationMessage(_Outgoing):
    """A map pin."""

    _meta_type = "location"
    type: Literal["location"] = "location"
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: PlaceText | None = None
    address: PlaceText | None = None

    def _payload(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.name is not None:
            obj["name"] = self.name
        if self.address is not None:
            obj["address"] = self.address
        return obj

    def summary_text(self) -> str | None:
        label = self.name or self.address or f"{self.latitude}, {self.longitude}"
        return f"📍 {label}"


_CONTACT_KEYS = frozenset({"addresses", "birthday", "emails", "name", "org", "phones", "urls"})


class ContactsMessage(_Outgoing):
    """One or more contact cards, in Meta's contact object shape (``name.formatted_name``
    is required; other keys: addresses, birthday, emails, org, phones, urls)."""

    _meta_type = "contacts"
    type: Literal["contacts"] = "contacts"
    contacts: list[dict[str, Any]] = Field(min_length=1, max_length=257)

    @field_validator("contacts")
    @classmethod
    def _check_contacts(cls, contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, card in enumerate(contacts):
            unknown = set(card) - _CONTACT_KEYS
            if unknown:
                raise ValueError(f"contact {i}: unknown keys {sorted(unknown)}")
            name = card.get("name")
            formatted = name.get("formatted_name") if isinstance(name, dict) else None
            if not isinstance(formatted, str) or not formatted.strip():
                raise ValueError(f"contact {i}: name.formatted_name is required")
            for key in ("addresses", "emails", "phones", "urls"):
                if key in card and not isinstance(card[key], list):
                    raise ValueError(f"contact {i}: {key} must be a list")
        return contacts

    def _payload(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return [dict(card) for card in self.contacts]

    def summary_text(self) -> str | None:
        return "👤 " + ", ".join(c["name"]["formatted_name"] for c in self.contacts)


class ReactionMessage(_Outgoing):
    """A reaction to a message; ``emoji=""`` removes our earlier reaction."""

    _meta_type = "reaction"
    type: Literal["reaction"] = "reaction"
    message_id: Id
    emoji: str = Field(max_length=20, description='The emoji itself; "" removes the reaction')

    def _payload(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "emoji": self.emoji}

    def summary_text(self) -> str | None:
        return self.emoji or None


# --------------------------------------------------------------------------- templates


def _param_text(value: str) -> str:
    # Meta rejects these in template parameters (error 132018).
    if "\n" in value or "\t" in value:
        raise ValueError("template parameters cannot contain new lines or tabs")
    if "     " in value:
        raise ValueError("template parameters cannot contain more than 4 consecutive spaces")
    return value


ParamText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32768),
    AfterValidator(_not_blank),
    AfterValidator(_param_text),
]
ParamName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$", max_length=512)]


class CurrencyParam(_Part):
    """A money parameter; ``amount_1000`` is the amount times 1000 (Rp150.000 → 150000000)."""

    type: Literal["currency"] = "currency"
    fallback_value: ParamText
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    amount_1000: int

    def render(self) -> dict[str, Any]:
        return {
            "type": "currency",
            "currency": {
                "fallback_value": self.fallback_value,
                "code": self.code,
                "amount_1000": self.amount_1000,
            },
        }


class DateTimeParam(_Part):
    """A date/time parameter. Cloud API always shows ``fallback_value``."""

    type: Literal["date_time"] = "date_time"
    fallback_value: ParamText
    calendar: Literal["GREGORIAN", "SOLAR_HIJRI"] | None = None
    year: int | None = None
    month: int | None = Field(None, ge=1, le=12)
    day_of_month: int | None = Field(None, ge=1, le=31)
    day_of_week: int | None = Field(None, ge=1, le=7)
    hour: int | None = Field(None, ge=0, le=23)
    minute: int | None = Field(None, ge=0, le=59)

    def render(self) -> dict[str, Any]:
        return {
            "type": "date_time",
            "date_time": self.model_dump(exclude={"type"}, exclude_none=True),
        }


TemplateParam = ParamText | CurrencyParam | DateTimeParam
"""A body parameter: plain text, currency or date_time."""


def _render_param(value: TemplateParam, name: str | None) -> dict[str, Any]:
    obj: dict[str, Any] = (
        {"type": "text", "text": value} if isinstance(value, str) else value.render()
    )
    if name is not None:
        obj = {
            "type": obj["type"],
            "parameter_name": name,
            **{k: v for k, v in obj.items() if k != "type"},
        }
    return obj


def _param_display(value: TemplateParam) -> str:
    return value if isinstance(value, str) else value.fallback_value


class TemplateTextHeader(_Part):
    """The variable of a TEXT header (``parameter_name`` for named templates)."""

    type: Literal["text"] = "text"
    text: ParamText
    parameter_name: ParamName | None = None

    def render(self) -> dict[str, Any]:
        return _render_param(self.text, self.parameter_name)


class TemplateMediaHeader(_MediaRef, _Part):
    """An IMAGE, VIDEO or DOCUMENT header, by uploaded id or by link."""

    type: Literal["image", "video", "document"]
    filename: FileName | None = None

    @model_validator(mode="after")
    def _filename_for_documents(self) -> Any:
        if self.filename is not None and self.type != "document":
            raise ValueError("filename is only allowed for document headers")
        return self

    def render(self) -> dict[str, Any]:
        obj = self._media_object()
        if self.filename is not None:
            obj["filename"] = self.filename
        return {"type": self.type, self.type: obj}


class TemplateLocationHeader(_Part):
    """A LOCATION header."""

    type: Literal["location"] = "location"
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None

    def render(self) -> dict[str, Any]:
        loc = self.model_dump(exclude={"type"}, exclude_none=True)
        return {"type": "location", "location": loc}


TemplateHeader = Annotated[
    TemplateTextHeader | TemplateMediaHeader | TemplateLocationHeader,
    Field(discriminator="type"),
]

ButtonIndex = Annotated[int, Field(ge=0, le=9, description="Position of the button (0-9)")]


class _ButtonParam(_Part):
    index: ButtonIndex
    _meta_sub_type: ClassVar[str]

    def _parameters(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def render(self) -> dict[str, Any]:
        return {
            "type": "button",
            "sub_type": self._meta_sub_type,
            "index": str(self.index),
            "parameters": self._parameters(),
        }


class QuickReplyButtonParam(_ButtonParam):
    """The payload returned when the customer taps a QUICK_REPLY button."""

    _meta_sub_type = "quick_reply"
    sub_type: Literal["quick_reply"] = "quick_reply"
    payload: Payload

    def _parameters(self) -> list[dict[str, Any]]:
        return [{"type": "payload", "payload": self.payload}]


class UrlButtonParam(_ButtonParam):
    """The suffix appended to a dynamic URL button's URL."""

    _meta_sub_type = "url"
    sub_type: Literal["url"] = "url"
    text: UrlSuffix

    def _parameters(self) -> list[dict[str, Any]]:
        return [{"type": "text", "text": self.text}]


class CopyCodeButtonParam(_ButtonParam):
    """The coupon code of a COPY_CODE button (≤ 15 characters)."""

    _meta_sub_type = "copy_code"
    sub_type: Literal["copy_code"] = "copy_code"
    coupon_code: CouponCode

    def _parameters(self) -> list[dict[str, Any]]:
        return [{"type": "coupon_code", "coupon_code": self.coupon_code}]


class CatalogButtonParam(_ButtonParam):
    """A catalog template's "View catalog" button, optionally with a thumbnail product."""

    _meta_sub_type = "catalog"
    sub_type: Literal["catalog"] = "catalog"
    thumbnail_product_retailer_id: Id | None = None

    def _parameters(self) -> list[dict[str, Any]]:
        action: dict[str, Any] = {}
        if self.thumbnail_product_retailer_id is not None:
            action["thumbnail_product_retailer_id"] = self.thumbnail_product_retailer_id
        return [{"type": "action", "action": action}]


class ProductItem(_Part):
    """One catalog product, by its retailer id (a plain string is accepted too)."""

    product_retailer_id: Id

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"product_retailer_id": data} if isinstance(data, str) else data


class ProductSection(_Part):
    """A titled group of products (multi-product messages and MPM template buttons)."""

    title: SectionTitle
    product_items: list[ProductItem] = Field(min_length=1, max_length=PRODUCTS_MAX)

    def render(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "product_items": [i.model_dump() for i in self.product_items],
        }


def _check_product_sections(sections: list[ProductSection]) -> None:
    if sum(len(s.product_items) for s in sections) > PRODUCTS_MAX:
        raise ValueError(f"at most {PRODUCTS_MAX} products in total across sections")


class MpmButtonParam(_ButtonParam):
    """A multi-product (MPM) template button: thumbnail plus up to 30 products."""

    _meta_sub_type = "mpm"
    sub_type: Literal["mpm"] = "mpm"
    thumbnail_product_retailer_id: Id
    sections: list[ProductSection] = Field(min_length=1, max_length=SECTIONS_MAX)

    @model_validator(mode="after")
    def _limits(self) -> Any:
        _check_product_sections(self.sections)
        return self

    def _parameters(self) -> list[dict[str, Any]]:
        action = {
            "thumbnail_product_retailer_id": self.thumbnail_product_retailer_id,
            "sections": [s.render() for s in self.sections],
        }
        return [{"type": "action", "action": action}]


class FlowButtonParam(_ButtonParam):
    """A FLOW template button: token and the data for the Flow's first screen."""

    _meta_sub_type = "flow"
    sub_type: Literal["flow"] = "flow"
    flow_token: str | None = None
    flow_action_data: dict[str, Any] | None = None

    def _parameters(self) -> list[dict[str, Any]]:
        action: dict[str, Any] = {}
        if self.flow_token is not None:
            action["flow_token"] = self.flow_token
        if self.flow_action_data is not None:
            action["flow_action_data"] = self.flow_action_data
        return [{"type": "action", "action": action}]


TemplateButtonParam = Annotated[
    QuickReplyButtonParam
    | UrlButtonParam
    | CopyCodeButtonParam
    | CatalogButtonParam
    | MpmButtonParam
    | FlowButtonParam,
    Field(discriminator="sub_type"),
]


class TemplateMessage(_Outgoing):
    """An approved message template, the only kind allowed outside the 24-hour window.

    ``body_params`` is a list for POSITIONAL templates (``{{1}}``, ``{{2}}`` in order) or a
    dict ``{parameter_name: value}`` for NAMED ones; the two never mix, and a named template's
    text header needs a ``parameter_name`` too.
    """

    _meta_type = "template"
    type: Literal["template"] = "template"
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=512)]
    language: Annotated[
        str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$"), Field(examples=["id"])
    ]
    body_params: list[TemplateParam] | dict[ParamName, TemplateParam] = Field(default_factory=list)
    header: TemplateHeader | None = None
    buttons: list[TemplateButtonParam] = Field(default_factory=list, max_length=10)

    @field_validator("header", mode="before")
    @classmethod
    def _header_shortcut(cls, value: Any) -> Any:
        return {"type": "text", "text": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Any:
        named = isinstance(self.body_params, dict) and bool(self.body_params)
        positional = isinstance(self.body_params, list) and bool(self.body_params)
        if isinstance(self.header, TemplateTextHeader):
            if named and self.header.parameter_name is None:
                raise ValueError("named templates need parameter_name on the text header parameter")
            if positional and self.header.parameter_name is not None:
                raise ValueError(
                    "cannot mix named and positional parameters: body_params is a list "
                    "but the header has a parameter_name"
                )
        indexes = [b.index for b in self.buttons]
        if len(set(indexes)) != len(indexes):
            raise ValueError("button indexes must be unique")
        return self

    @property
    def is_template(self) -> bool:
        return True

    def _payload(self) -> dict[str, Any]:
        components: list[dict[str, Any]] = []
        if self.header is not None:
            components.append({"type": "header", "parameters": [self.header.render()]})
        if isinstance(self.body_params, dict):
            params = [_render_param(v, k) for k, v in self.body_params.items()]
        else:
            params = [_render_param(v, None) for v in self.body_params]
        if params:
            components.append({"type": "body", "parameters": params})
        components.extend(b.render() for b in self.buttons)
        obj: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if components:
            obj["components"] = components
        return obj

    def summary_text(self) -> str | None:
        if isinstance(self.body_params, dict):
            shown = [f"{k}={_param_display(v)}" for k, v in self.body_params.items()]
        else:
            shown = [_param_display(v) for v in self.body_params]
        return f"{self.name}: {', '.join(shown)}" if shown else self.name


# --------------------------------------------------------------------------- interactive


class TextHeader(_Part):
    """A text header (≤ 60 characters)."""

    type: Literal["text"] = "text"
    text: HeaderText

    def render(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


class MediaHeader(_MediaRef, _Part):
    """An image, video or document header, by uploaded id or link."""

    type: Literal["image", "video", "document"]
    filename: FileName | None = None

    @model_validator(mode="after")
    def _filename_for_documents(self) -> Any:
        if self.filename is not None and self.type != "document":
            raise ValueError("filename is only allowed for document headers")
        return self

    def render(self) -> dict[str, Any]:
        obj = self._media_object()
        if self.filename is not None:
            obj["filename"] = self.filename
        return {"type": self.type, self.type: obj}


InteractiveHeader = Annotated[TextHeader | MediaHeader, Field(discriminator="type")]
"""Header of a reply-buttons or CTA URL message; a plain string means a text header."""


def _text_header(value: Any) -> Any:
    return {"type": "text", "text": value} if isinstance(value, str) else value


def _interactive(
    kind: str,
    action: dict[str, Any],
    *,
    body: str | None = None,
    header: dict[str, Any] | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": kind}
    if header is not None:
        obj["header"] = header
    if body is not None:
        obj["body"] = {"text": body}
    if footer is not None:
        obj["footer"] = {"text": footer}
    obj["action"] = action
    return obj


class _Interactive(_Outgoing):
    _meta_type = "interactive"


class ReplyButton(_Part):
    """A quick-reply button: ``id`` comes back in the customer's reply."""

    id: ReplyId
    title: ReplyTitle


class ReplyButtonsMessage(_Interactive):
    """Body text with 1-3 reply buttons (unique ids and titles)."""

    type: Literal["reply_buttons"] = "reply_buttons"
    body: InteractiveBody
    buttons: list[ReplyButton] = Field(min_length=1, max_length=3)
    header: InteractiveHeader | None = None
    footer: Footer | None = None

    @field_validator("header", mode="before")
    @classmethod
    def _header_shortcut(cls, value: Any) -> Any:
        return _text_header(value)

    @model_validator(mode="after")
    def _unique(self) -> Any:
        if len({b.id for b in self.buttons}) != len(self.buttons):
            raise ValueError("reply button ids must be unique")
        if len({b.title for b in self.buttons}) != len(self.buttons):
            raise ValueError("reply button titles must be unique")
        return self

    def _payload(self) -> dict[str, Any]:
        buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in self.buttons]
        return _interactive(
            "button",
            {"buttons": buttons},
            body=self.body,
            header=self.header.render() if self.header else None,
            footer=self.footer,
        )

    def summary_text(self) -> str | None:
        return self.body


class ListRow(_Part):
    """One choice in a list message."""

    id: RowId
    title: RowTitle
    description: RowDescription | None = None


class ListSection(_Part):
    """A titled group of rows (the title is required when there is more than one section)."""

    title: SectionTitle | None = None
    rows: list[ListRow] = Field(min_length=1, max_length=LIST_ROWS_MAX)

    def render(self) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        if self.title is not None:
            obj["title"] = self.title
        obj["rows"] = [r.model_dump(exclude_none=True) for r in self.rows]
        return obj


class ListMessage(_Interactive):
    """A menu: ``button`` opens up to 10 rows in total, in 1-10 sections."""

    type: Literal["list"] = "list"
    body: InteractiveBody
    button: ListButton
    sections: list[ListSection] = Field(min_length=1, max_length=SECTIONS_MAX)
    header: HeaderText | None = None
    footer: Footer | None = None

    @model_validator(mode="after")
    def _limits(self) -> Any:
        rows = [r for s in self.sections for r in s.rows]
        if len(rows) > LIST_ROWS_MAX:
            raise ValueError(f"at most {LIST_ROWS_MAX} rows in total across sections")
        if len({r.id for r in rows}) != len(rows):
            raise ValueError("row ids must be unique across sections")
        if len(self.sections) > 1 and any(s.title is None for s in self.sections):
            raise ValueError("every section needs a title when there is more than one section")
        return self

    def _payload(self) -> dict[str, Any]:
        return _interactive(
            "list",
            {"button": self.button, "sections": [s.render() for s in self.sections]},
            body=self.body,
            header={"type": "text", "text": self.header} if self.header is not None else None,
            footer=self.footer,
        )

    def summary_text(self) -> str | None:
        return self.body


class CtaUrlMessage(_Interactive):
    """Body text with one button that opens ``url``."""

    type: Literal["cta_url"] = "cta_url"
    body: InteractiveBody
    display_text: CtaText
    url: Link
    header: InteractiveHeader | None = None
    footer: Footer | None = None

    @field_validator("header", mode="before")
    @classmethod
    def _header_shortcut(cls, value: Any) -> Any:
        return _text_header(value)

    def _payload(self) -> dict[str, Any]:
        action = {
            "name": "cta_url",
            "parameters": {"display_text": self.display_text, "url": self.url},
        }
        return _interactive(
            "cta_url",
            action,
            body=self.body,
            header=self.header.render() if self.header else None,
            footer=self.footer,
        )

    def summary_text(self) -> str | None:
        return self.body


class LocationRequestMessage(_Interactive):
    """Asks the customer to share their location (the reply is a location message)."""

    type: Literal["location_request"] = "location_request"
    body: InteractiveBody

    def _payload(self) -> dict[str, Any]:
        return _interactive("location_request_message", {"name": "send_location"}, body=self.body)

    def summary_text(self) -> str | None:
        return self.body


class ProductMessage(_Interactive):
    """One catalog product (no header allowed)."""

    type: Literal["product"] = "product"
    catalog_id: Id
    product_retailer_id: Id
    body: InteractiveBody | None = None
    footer: Footer | None = None

    def _payload(self) -> dict[str, Any]:
        action = {"catalog_id": self.catalog_id, "product_retailer_id": self.product_retailer_id}
        return _interactive("product", action, body=self.body, footer=self.footer)

    def summary_text(self) -> str | None:
        return self.body or f"🛍 {self.product_retailer_id}"


class ProductListMessage(_Interactive):
    """Up to 30 catalog products in 1-10 sections; the text header is required."""

    type: Literal["product_list"] = "product_list"
    catalog_id: Id
    header: HeaderText
    body: InteractiveBody
    footer: Footer | None = None
    sections: list[ProductSection] = Field(min_length=1, max_length=SECTIONS_MAX)

    @model_validator(mode="after")
    def _limits(self) -> Any:
        _check_product_sections(self.sections)
        return self

    def _payload(self) -> dict[str, Any]:
        action = {
            "catalog_id": self.catalog_id,
            "sections": [s.render() for s in self.sections],
        }
        return _interactive(
            "product_list",
            action,
            body=self.body,
            header={"type": "text", "text": self.header},
            footer=self.footer,
        )

    def summary_text(self) -> str | None:
        return self.body


class CatalogMessage(_Interactive):
    """Invites the customer to browse the whole catalog."""

    type: Literal["catalog"] = "catalog"
    body: InteractiveBody
    thumbnail_product_retailer_id: Id | None = None
    footer: Footer | None = None

    def _payload(self) -> dict[str, Any]:
        action: dict[str, Any] = {"name": "catalog_message"}
        if self.thumbnail_product_retailer_id is not None:
            action["parameters"] = {
                "thumbnail_product_retailer_id": self.thumbnail_product_retailer_id
            }
        return _interactive("catalog_message", action, body=self.body, footer=self.footer)

    def summary_text(self) -> str | None:
        return self.body


# --------------------------------------------------------------------------- union

OutgoingMessage = Annotated[
    TextMessage
    | ImageMessage
    | VideoMessage
    | AudioMessage
    | DocumentMessage
    | StickerMessage
    | LocationMessage
    | ContactsMessage
    | ReactionMessage
    | TemplateMessage
    | ReplyButtonsMessage
    | ListMessage
    | CtaUrlMessage
    | LocationRequestMessage
    | ProductMessage
    | ProductListMessage
    | CatalogMessage,
    Field(discriminator="type"),
]
"""Any outgoing message, chosen by its ``type``."""

outgoing_adapter: TypeAdapter[OutgoingMessage] = TypeAdapter(OutgoingMessage)


def parse_outgoing(data: Any) -> OutgoingMessage:
    """Validate a dict (e.g. an API body or a stored ``model_dump``) into its message model."""
    return outgoing_adapter.validate_python(data)


def mark_read_body(wamid: str, typing: bool = False) -> dict[str, Any]:
    """Body that marks ``wamid`` read (blue ticks), optionally showing a typing indicator."""
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
    }
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body
