"""A message template as the business writes it, in Niaga's own terms.

The templates domain keeps and edits these; a channel checks them against its own review rules
and renders its creation request (``channels/whatsapp/template_rules.py``). Parameters are
written ``{{nama}}`` (named) or ``{{1}}`` (positional) in the texts, and every parameter has a
sample, as Meta's review requires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

PARAMETER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

# Authentication templates carry a one-time code in the channel's own fixed text.
Category = Literal["MARKETING", "UTILITY", "AUTHENTICATION"]
ParameterFormat = Literal["NAMED", "POSITIONAL"]
HeaderKind = Literal["none", "text", "image", "video", "document", "location"]
MEDIA_HEADERS = ("image", "video", "document")


@dataclass(frozen=True)
class MediaSample:
    """The example file of a media header, handed to the channel at submission."""

    data: bytes
    mime_type: str
    file_name: str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuickReplyButton(_Strict):
    """A button that sends its text back as the customer's reply."""

    kind: Literal["quick_reply"] = "quick_reply"
    text: str = Field(max_length=200)


class UrlButton(_Strict):
    """A button that opens a link; ``{{1}}`` at the end of ``url`` is filled per message."""

    kind: Literal["url"] = "url"
    text: str = Field(max_length=200)
    url: str = Field(max_length=4000)
    sample: str | None = Field(None, max_length=4000, description="The URL with {{1}} filled")


class PhoneButton(_Strict):
    """A button that calls the business."""

    kind: Literal["phone"] = "phone"
    text: str = Field(max_length=200)
    phone: str = Field(max_length=100)


class CopyCodeButton(_Strict):
    """A button that copies a code (a voucher) to the customer's clipboard."""

    kind: Literal["copy_code"] = "copy_code"
    sample: str = Field(max_length=200, description="An example code")


Button = Annotated[
    QuickReplyButton | UrlButton | PhoneButton | CopyCodeButton, Field(discriminator="kind")
]


class TemplateDefinition(_Strict):
    """What a template says: header, body, footer and buttons, with a sample per parameter."""

    name: str = Field(max_length=1000)
    language: str = Field(max_length=20, examples=["id", "en"])
    category: Category = "MARKETING"
    parameter_format: ParameterFormat = "NAMED"
    header: HeaderKind = "none"
    header_text: str | None = Field(None, max_length=1000)
    header_sample: str | None = Field(
        None,
        max_length=200,
        description="An image, video or PDF header's example file, as stored by Niaga "
        "(POST /api/v1/templates/samples); each message then carries it as the header",
    )
    body: str = Field(max_length=5000)
    footer: str | None = Field(None, max_length=1000)
    buttons: list[Button] = Field(default_factory=list, max_length=50)
    samples: dict[str, str] = Field(
        default_factory=dict,
        description="An example value per parameter (its name, or its number for {{1}}…)",
    )
    # AUTHENTICATION only: WhatsApp writes the text ("{{1}} is your verification code."),
    # the business chooses these and a copy-code button's label.
    security_recommendation: bool = Field(
        False, description="Authentication: add 'do not share this code'"
    )
    code_expiration_minutes: int | None = Field(
        None, ge=1, le=90, description="Authentication: 'this code expires in N minutes'"
    )
    otp_button_text: str | None = Field(
        None, max_length=25, description="Authentication: the copy-code button's label"
    )

    def parameters(self, text: str | None) -> list[str]:
        """The parameters written in ``text``, in order."""
        return PARAMETER.findall(text or "")
