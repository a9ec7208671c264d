"""Rules as validated data (trigger, conditions, actions) and the business profile's API shape.

Every piece is a pydantic model discriminated on ``type``; :func:`error_fields` turns a
validation error into ``[{"field": "actions[1].label", "message": ...}]`` so a form or an API
client can point at the bad field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from niaga.core.errors import DomainError

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- triggers

TRIGGER_TYPES = (
    "message_received",
    "conversation_created",
    "conversation_resolved",
    "label_added",
    "order_status_changed",
    "no_business_reply",
    "no_customer_reply",
)


class MessageReceived(_Strict):
    """A customer's message arrived."""

    type: Literal["message_received"]


class ConversationCreated(_Strict):
    """A customer wrote for the first time (first message of a new conversation)."""

    type: Literal["conversation_created"]


class ConversationResolved(_Strict):
    """A person marked the conversation resolved."""

    type: Literal["conversation_resolved"]


class LabelAdded(_Strict):
    """A label was put on the conversation (``label``: only this one)."""

    type: Literal["label_added"]
    label: Name | None = None


class OrderStatusChanged(_Strict):
    """An order of the conversation's customer changed status (``status``: only this one)."""

    type: Literal["order_status_changed"]
    status: Name | None = None


class NoBusinessReply(_Strict):
    """The customer has waited ``minutes`` without a human reply."""

    type: Literal["no_business_reply"]
    minutes: int = Field(ge=1, le=10_080)


class NoCustomerReply(_Strict):
    """The business wrote last and the customer has not answered for ``hours``."""

    type: Literal["no_customer_reply"]
    hours: int = Field(ge=1, le=720)


Trigger = Annotated[
    MessageReceived
    | ConversationCreated
    | ConversationResolved
    | LabelAdded
    | OrderStatusChanged
    | NoBusinessReply
    | NoCustomerReply,
    Field(discriminator="type"),
]

# --------------------------------------------------------------------------- conditions


class TextContains(_Strict):
    """The message contains any of ``keywords`` (tolerant of slang, affixes and typos)."""

    type: Literal["text_contains"]
    keywords: list[Keyword] = Field(min_length=1, max_length=200)
    exclude: list[Keyword] = Field(default_factory=list, max_length=200)
    # Regular expressions that count like a keyword (quantities, "my order … when").
    patterns: list[Annotated[str, StringConstraints(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=20
    )

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class TextMatches(_Strict):
    """The message matches a regular expression (case-insensitive)."""

    type: Literal["text_matches"]
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=500)]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class HasLabel(_Strict):
    """The conversation has (or, with ``present: false``, lacks) a label."""

    type: Literal["label"]
    label: Name
    present: bool = True


class ContactHasLabel(_Strict):
    """The customer has (or lacks) a contact label."""

    type: Literal["contact_label"]
    label: Name
    present: bool = True


class InTeam(_Strict):
    """The conversation belongs to ``team`` (``null``: to no team yet)."""

    type: Literal["team"]
    team: Name | None = None


class BusinessHours(_Strict):
    """The business is open (``open: true``) or closed/away (``open: false``) now."""

    type: Literal["business_hours"]
    open: bool = True


class ContactAttribute(_Strict):
    """A contact attribute compares to ``value``."""

    type: Literal["contact_attribute"]
    key: Name
    op: Literal["eq", "ne", "gt", "gte", "lt", "lte", "contains", "exists"] = "eq"
    value: str | int | float | bool | None = None


class FirstMessage(_Strict):
    """This is (or is not) the customer's first message in the conversation."""

    type: Literal["first_message"]
    value: bool = True


class NewOrReturning(_Strict):
    """A new customer, or one who has not written for ``days`` (default: the profile's)."""

    type: Literal["new_or_returning"]
    days: int | None = Field(None, ge=1, le=3650)


class WindowOpen(_Strict):
    """The 24-hour customer-service window is open (or closed)."""

    type: Literal["window_open"]
    value: bool = True


class AnyOf(_Strict):
    """At least one of ``conditions`` holds."""

    type: Literal["any"]
    conditions: list[Condition] = Field(min_length=1, max_length=20)


Condition = Annotated[
    TextContains
    | TextMatches
    | HasLabel
    | ContactHasLabel
    | InTeam
    | BusinessHours
    | ContactAttribute
    | FirstMessage
    | NewOrReturning
    | WindowOpen
    | AnyOf,
    Field(discriminator="type"),
]
AnyOf.model_rebuild()

# --------------------------------------------------------------------------- actions


class TemplateRef(_Strict):
    """An approved template to fall back on outside the 24-hour window."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=512)]
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")] = "id"
    body_params: (
        list[Annotated[str, StringConstraints(max_length=1024)]]
        | dict[
            Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$")],
            Annotated[str, StringConstraints(max_length=1024)],
        ]
    ) = Field(
        default_factory=list,
        max_length=20,
        description="Positional ({{1}}…) as a list, named ({{nama}}) as an object; "
        "{name}-style placeholders are filled in",
    )


class SendText(_Strict):
    """Send ``text`` ({name}, {business}, {team}, {hours}, {catalog}, {support} filled in)."""

    type: Literal["send_text"]
    text: Text
    template: TemplateRef | None = None


class SendTemplate(_Strict):
    """Send an approved template (allowed inside and outside the window)."""

    type: Literal["send_template"]
    template: TemplateRef


class SendGreeting(_Strict):
    """The welcome: introduction, catalog link, how to reach support."""

    type: Literal["send_greeting"]
    template: TemplateRef | None = None


class SendAway(_Strict):
    """The away message, with when the business will reply."""

    type: Literal["send_away"]
    template: TemplateRef | None = None


class SendAck(_Strict):
    """The acknowledgement with the expected response time of the chat's team."""

    type: Literal["send_ack"]
    template: TemplateRef | None = None


class AddLabel(_Strict):
    """Put a label on the conversation (created when missing)."""

    type: Literal["add_label"]
    label: Name
    color: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None


class RemoveLabel(_Strict):
    """Take a label off the conversation."""

    type: Literal["remove_label"]
    label: Name


class AssignTeam(_Strict):
    """Give the chat to a team, then (``route``) to its next available agent."""

    type: Literal["assign_team"]
    team: Name
    route: bool = True


class AssignAgent(_Strict):
    """Give the chat to one agent (by e-mail)."""

    type: Literal["assign_agent"]
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]


class SetStatus(_Strict):
    """Set the conversation's status."""

    type: Literal["set_status"]
    status: Literal["open", "pending", "resolved"]


class AddNote(_Strict):
    """A private note for the team."""

    type: Literal["add_note"]
    text: Text


class AddToGroup(_Strict):
    """Add the customer to a customer group (niaga.community; made when missing)."""

    type: Literal["add_to_group"]
    group: Name


class SendCsat(_Strict):
    """Ask the customer for a 1-5 rating (a list in the window, a template outside)."""

    type: Literal["send_csat"]
    template: TemplateRef | None = None


class CallWebhook(_Strict):
    """POST the trigger's ids as JSON to an outgoing webhook (after commit)."""

    type: Literal["call_webhook"]
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+", max_length=2000)]


Action = Annotated[
    SendText
    | SendTemplate
    | SendGreeting
    | SendAway
    | SendAck
    | AddLabel
    | RemoveLabel
    | AssignTeam
    | AssignAgent
    | SetStatus
    | AddNote
    | AddToGroup
    | SendCsat
    | CallWebhook,
    Field(discriminator="type"),
]

# --------------------------------------------------------------------------- rules


class RuleIn(_Strict):
    """A rule to create or replace."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    enabled: bool = True
    priority: int = Field(100, ge=0, le=10_000)
    trigger: Trigger
    conditions: list[Condition] = Field(default_factory=list, max_length=50)
    actions: list[Action] = Field(min_length=1, max_length=20)
    stop_processing: bool = Field(False, description="Later rules do not run for this trigger")


class RulePublic(RuleIn):
    """A stored rule."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: int
    seed_key: str | None
    created_at: datetime
    updated_at: datetime


rule_adapter = TypeAdapter(RuleIn)
condition_adapter = TypeAdapter(Condition)
action_adapter = TypeAdapter(Action)


def error_fields(exc: ValidationError) -> list[dict[str, str]]:
    """``[{"field": "actions[1].label", "message": ...}]`` from a pydantic error."""
    out = []
    for err in exc.errors(include_url=False):
        field = ""
        loc = list(err["loc"])
        for i, part in enumerate(loc):
            if isinstance(part, int):
                field += f"[{part}]"
            elif (
                0 < i < len(loc) - 1
                and (isinstance(loc[i - 1], int) or loc[i - 1] == "trigger")
                and _is_tag(part)
            ):
                continue  # the union's tag (e.g. "add_label") that pydantic adds to the path
            else:
                field += f".{part}" if field else str(part)
        out.append({"field": field or "body", "message": err["msg"]})
    return out


_TAGS = set(TRIGGER_TYPES) | {
    "text_contains",
    "text_matches",
    "label",
    "contact_label",
    "team",
    "business_hours",
    "contact_attribute",
    "first_message",
    "new_or_returning",
    "window_open",
    "any",
    "send_text",
    "send_template",
    "send_greeting",
    "send_away",
    "send_ack",
    "add_label",
    "remove_label",
    "assign_team",
    "assign_agent",
    "set_status",
    "add_note",
    "add_to_group",
    "send_csat",
    "call_webhook",
}


def _is_tag(part: object) -> bool:
    return isinstance(part, str) and part in _TAGS


# --------------------------------------------------------------------------- profile

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
VERTICALS = (
    "UNDEFINED",
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "NOT_A_BIZ",
)


class ProfileIn(_Strict):
    """The business profile and hours; omitted fields keep their value."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=512)] | None = None
    about: Annotated[str, StringConstraints(max_length=139)] | None = None
    address: Annotated[str, StringConstraints(max_length=256)] | None = None
    email: (
        Annotated[str, StringConstraints(pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=128)]
        | None
    ) = None
    website: (
        Annotated[str, StringConstraints(pattern=r"^$|^https?://[^\s/]+\S*$", max_length=256)]
        | None
    ) = None
    category: Literal[VERTICALS] | None = None  # type: ignore[valid-type]
    timezone: str | None = None
    locale: Literal["id", "en"] | None = None
    hours: dict[str, list[tuple[str, str]]] | None = Field(
        None,
        description='{"mon": [["08:00", "17:00"]], ...}; an end before the start runs '
        "past midnight",
    )
    holidays: list[date] | None = None
    away: bool | None = None
    catalog_url: (
        Annotated[str, StringConstraints(pattern=r"^$|^https?://[^\s/]+\S*$", max_length=256)]
        | None
    ) = None
    support_contact: Annotated[str, StringConstraints(max_length=256)] | None = None
    greeting_text: Annotated[str, StringConstraints(max_length=4096)] | None = None
    away_text: Annotated[str, StringConstraints(max_length=4096)] | None = None
    ack_text: Annotated[str, StringConstraints(max_length=4096)] | None = None
    holiday_names: dict[date, Annotated[str, StringConstraints(max_length=120)]] | None = None
    greeting_after_days: int | None = Field(None, ge=1, le=3650)
    default_response_minutes: int | None = Field(None, ge=1, le=10_080)
    presence_minutes: int | None = Field(None, ge=0, le=1440)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Jakarta)") from None
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, list[tuple[str, str]]] | None) -> Any:
        if value is None:
            return None
        unknown = sorted(set(value) - set(DAY_KEYS))
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use {', '.join(DAY_KEYS)}")
        for day, intervals in value.items():
            for start, end in intervals:
                for part in (start, end):
                    if not HHMM.match(part):
                        raise ValueError(f"{day}: {part!r} is not a time like 08:30")
                if start == end:
                    raise ValueError(f"{day}: an interval must not start and end at {start}")
        return value


class ProfilePublic(BaseModel):
    """The business profile, its hours, and whether it is open now."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
    about: str
    address: str
    email: str
    website: str
    category: str
    timezone: str
    locale: str
    hours: dict[str, Any]
    holidays: list[Any]
    away: bool
    catalog_url: str
    support_contact: str
    greeting_text: str
    away_text: str
    ack_text: str = ""
    holiday_names: dict[str, str] = Field(default_factory=dict)
    photo_file: str | None = None
    photo_synced_file: str | None = None
    greeting_after_days: int
    default_response_minutes: int
    presence_minutes: int
    synced_at: datetime | None
    sync_requested_at: datetime | None
    sync_error: str | None
    open_now: bool = False
    next_opening: datetime | None = None


class RuleInvalidError(DomainError, ValueError):
    """A rule that failed validation; ``errors`` name the bad fields."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__(
            "rule_invalid",
            "The rule is not valid.",
            field=errors[0]["field"] if errors else None,
            extra={"errors": errors},
        )
