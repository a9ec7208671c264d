"""Catalog input and output shapes (API and, later, HTML forms)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from niaga.catalog.models import AVAILABILITIES, CONDITIONS

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,99}$")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Money = Annotated[int, Field(ge=0, le=10_000_000_000, description="Rupiah, no decimals")]


def _check_sku(value: str) -> str:
    if not SKU_RE.match(value):
        raise ValueError("SKU: letters, digits and . _ - / only, starting with a letter or digit")
    return value


def _check_link(value: str | None) -> str | None:
    if value and not re.match(r"^https?://\S+$", value):
        raise ValueError("must be an http:// or https:// URL")
    return value or None


class ProductFields(BaseModel):
    """Fields shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field("", max_length=9999)
    sale_price: Money | None = None
    stock: int | None = Field(None, ge=0, le=10_000_000, description="None: not tracked")
    availability: str = Field("in stock", description=" | ".join(AVAILABILITIES))
    condition: str = Field("new", description=" | ".join(CONDITIONS))
    brand: str | None = Field(None, max_length=100)
    link: str | None = Field(None, max_length=2000)
    visible: bool = True
    collections: list[str] = Field(default_factory=list, description="Collection names")

    @field_validator("availability")
    @classmethod
    def _availability(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in AVAILABILITIES:
            raise ValueError(f"must be one of: {', '.join(AVAILABILITIES)}")
        return value

    @field_validator("condition")
    @classmethod
    def _condition(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in CONDITIONS:
            raise ValueError(f"must be one of: {', '.join(CONDITIONS)}")
        return value

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return _check_link(value)


class ProductCreate(ProductFields):
    """A new product."""

    sku: Sku
    name: Name
    price: Money

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str) -> str:
        return _check_sku(value)


class ProductUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = None
    name: Name | None = None
    price: Money | None = None
    description: str | None = Field(None, max_length=9999)
    sale_price: Money | None = None
    stock: int | None = Field(None, ge=0, le=10_000_000)
    availability: str | None = None
    condition: str | None = None
    brand: str | None = Field(None, max_length=100)
    link: str | None = Field(None, max_length=2000)
    visible: bool | None = None
    collections: list[str] | None = None

    @field_validator("sku")
    @classmethod
    def _sku(cls, value: str | None) -> str | None:
        return value if value is None else _check_sku(value)

    @field_validator("availability", "condition")
    @classmethod
    def _choice(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        choices = AVAILABILITIES if info.field_name == "availability" else CONDITIONS
        value = value.strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of: {', '.join(choices)}")
        return value

    @field_validator("link")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return _check_link(value)


class ImagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    thumb_url: str
    width: int
    height: int


class ProductPublic(BaseModel):
    """A product as the API shows it."""

    id: int
    sku: str
    name: str
    description: str
    price: int
    sale_price: int | None
    effective_price: int
    price_display: str
    currency: str
    stock: int | None
    availability: str
    condition: str
    brand: str | None
    link: str | None
    visible: bool
    collections: list[str]
    images: list[ImagePublic]


class CollectionIn(BaseModel):
    """A collection to create or update."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    description: str | None = Field(None, max_length=2000)
    position: int = 0
    visible: bool = True


class CollectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    description: str | None
    position: int
    visible: bool


class CatalogSettingsIn(BaseModel):
    """The Meta catalog id and the public page's texts."""

    model_config = ConfigDict(extra="forbid")

    meta_catalog_id: str | None = Field(None, pattern=r"^\d{1,64}$")
    shop_name: str | None = Field(None, max_length=200)
    brand: str | None = Field(None, max_length=100)
    tagline: str | None = Field(None, max_length=300)
    public: bool | None = None


class CatalogSettingsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    meta_catalog_id: str | None
    shop_name: str | None
    brand: str | None
    tagline: str | None
    public: bool
