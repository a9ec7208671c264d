"""Order input and output shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from niaga.orders.models import STATUSES


class OrderItemIn(BaseModel):
    """A line: a product by id or SKU; the price defaults to the product's current price."""

    model_config = ConfigDict(extra="forbid")

    product_id: int | None = None
    sku: str | None = Field(None, max_length=100)
    quantity: int = Field(ge=1, le=10_000)
    unit_price: int | None = Field(None, ge=0, le=10_000_000_000)

    @model_validator(mode="after")
    def _one_product(self) -> OrderItemIn:
        if (self.product_id is None) == (self.sku is None):
            raise ValueError("give exactly one of product_id or sku")
        return self


class OrderCreate(BaseModel):
    """An order an agent makes in a conversation."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: int
    items: list[OrderItemIn] = Field(min_length=1, max_length=200)
    shipping_fee: int = Field(0, ge=0, le=10_000_000_000)
    discount: int = Field(0, ge=0, le=10_000_000_000)
    notes: str | None = Field(None, max_length=5000)
    shipping_address: str | None = Field(None, max_length=2000)


def _http_url(value: str | None) -> str | None:
    if value and not (value.startswith("https://") or value.startswith("http://")):
        raise ValueError("must be an http:// or https:// URL")
    return value or None


class StatusChangeIn(BaseModel):
    """Move an order to ``status``; shipping needs a courier, the tracking link is optional."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(description=" → ".join(STATUSES))
    note: str | None = Field(None, max_length=2000)
    courier: str | None = Field(None, max_length=100)
    tracking_number: str | None = Field(None, max_length=100)
    tracking_url: str | None = Field(None, max_length=2000)
    estimated_arrival: date | None = Field(
        None, description="Local day of arrival; when shipping without one, the courier's days"
    )
    notify: bool = Field(True, description="Tell the customer on WhatsApp")

    @field_validator("status")
    @classmethod
    def _known(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in STATUSES:
            raise ValueError(f"must be one of: {', '.join(STATUSES)}")
        return value

    @field_validator("tracking_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value)


class OrderUpdate(BaseModel):
    """Details that can change while the order is open."""

    model_config = ConfigDict(extra="forbid")

    notes: str | None = Field(None, max_length=5000)
    shipping_address: str | None = Field(None, max_length=2000)
    shipping_fee: int | None = Field(None, ge=0, le=10_000_000_000)
    discount: int | None = Field(None, ge=0, le=10_000_000_000)
    estimated_arrival: date | None = None


class OrderItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: int
    line_total: int
    short_quantity: int


class StatusChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    actor_user_id: int | None
    note: str | None
    data: dict[str, Any]
    notification: str
    notification_message_id: int | None
    notification_error: str | None
    created_at: datetime


class OrderPublic(BaseModel):
    """An order as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: int
    label: str
    contact_id: int
    conversation_id: int | None
    source_message_id: int | None
    status: str
    payment_status: str
    currency: str
    subtotal: int
    shipping_fee: int
    discount: int
    total: int
    total_display: str = ""
    notes: str | None
    customer_note: str | None
    shipping_address: str | None
    courier: str | None
    tracking_number: str | None
    tracking_url: str | None
    estimated_arrival: date | None = None
    source: str
    attribution: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    items: list[OrderItemPublic]
    changes: list[StatusChangePublic]
