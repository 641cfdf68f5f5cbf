"""Request and response bodies of the admin catalog API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from souk.catalog.models import HoldStock
from souk.text import JsonObject, Text
from souk.timestamps import Timestamp

HANDLE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
Handle = Annotated[str, Field(min_length=1, max_length=100, pattern=HANDLE_PATTERN)]
HandlePath = Annotated[str, Path(max_length=100, pattern=HANDLE_PATTERN)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=SKU_PATTERN)]
CategoryCode = Annotated[str, Field(min_length=1, max_length=64, pattern=CATEGORY_PATTERN)]
LocaleKey = Annotated[str, Field(min_length=1, max_length=35, pattern=r"^[A-Za-z0-9_-]+$")]
Title = Annotated[Text, Field(min_length=1, max_length=300)]
Description = Annotated[Text, Field(max_length=20_000)]
OptionName = Annotated[Text, Field(min_length=1, max_length=50)]
OptionValue = Annotated[Text, Field(min_length=1, max_length=100)]


class VariantIn(BaseModel):
    """A variant to create or, in a PATCH, to change (only the fields sent change)."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    options: dict[OptionName, OptionValue] = Field(default_factory=dict, max_length=20)
    barcode: Text | None = Field(default=None, min_length=1, max_length=64)
    weight_g: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    allow_backorder: StrictBool = False


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: Handle
    title: dict[LocaleKey, Title] = Field(min_length=1, max_length=100)
    description: dict[LocaleKey, Description] | None = Field(default=None, max_length=100)
    category: CategoryCode | None = None
    attributes: JsonObject | None = Field(default=None, max_length=100)
    variants: list[VariantIn] = Field(min_length=1, max_length=250)


class ProductUpdate(BaseModel):
    """Titles and descriptions merge per locale (null removes one); `attributes` replaces
    the whole set; `variants` adds new SKUs and changes existing ones; `remove_skus` deletes."""

    model_config = ConfigDict(extra="forbid")

    title: dict[LocaleKey, Title | None] | None = Field(default=None, max_length=100)
    description: dict[LocaleKey, Description | None] | None = Field(default=None, max_length=100)
    category: CategoryCode | None = None
    attributes: JsonObject | None = Field(default=None, max_length=100)
    variants: list[VariantIn] | None = Field(default=None, max_length=250)
    remove_skus: list[Sku] | None = Field(default=None, max_length=250)

    @model_validator(mode="after")
    def _no_nulls(self) -> ProductUpdate:
        nulls = [
            name
            for name in ("title", "description", "attributes", "variants", "remove_skus")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulls:
            raise ValueError(f"may not be null: {', '.join(nulls)}")
        return self


class VariantRead(BaseModel):
    sku: str
    options: dict[str, str]
    barcode: str | None
    weight_g: int | None
    allow_backorder: bool


TierCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class EarlyAccess(BaseModel):
    """Members of `tiers` (loyalty tier codes) may buy from `from`, before `available_from`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    tiers: list[TierCode] = Field(min_length=1, max_length=20)
    from_: Timestamp = Field(alias="from", description="When the tiers' early window opens")


class ListingPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    published: StrictBool
    available_from: Timestamp | None = None
    available_until: Timestamp | None = None
    hold_stock: HoldStock = Field(
        default=HoldStock.CHECKOUT,
        description="When a cart holds stock: at checkout (default) or at add-to-cart",
    )
    hold_minutes: StrictInt | None = Field(
        default=None, ge=1, le=1440, description="How long an add-to-cart hold lasts (cart only)"
    )
    early_access: EarlyAccess | None = None

    @model_validator(mode="after")
    def _coherent(self) -> ListingPut:
        if (
            self.available_from is not None
            and self.available_until is not None
            and self.available_until <= self.available_from
        ):
            raise ValueError("available_until must be after available_from")
        if self.hold_stock is HoldStock.CART and self.hold_minutes is None:
            raise ValueError("hold_stock 'cart' needs hold_minutes")
        if self.hold_stock is HoldStock.CHECKOUT and self.hold_minutes is not None:
            raise ValueError("hold_minutes applies only to hold_stock 'cart'")
        early = self.early_access
        if early is not None:
            if self.available_from is None:
                raise ValueError("early_access needs available_from: when everyone else may buy")
            if early.from_ >= self.available_from:
                raise ValueError("early_access.from must be before available_from")
            if len(set(early.tiers)) != len(early.tiers):
                raise ValueError("early_access.tiers must not repeat a tier")
        return self


class EarlyAccessRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    tiers: list[str]
    from_: datetime = Field(alias="from")


class ListingRead(BaseModel):
    channel: str
    published: bool
    available_from: datetime | None
    available_until: datetime | None
    hold_stock: HoldStock
    hold_minutes: int | None
    early_access: EarlyAccessRead | None = None
    open: bool = Field(
        description="Whether everyone can buy the product in the channel right now "
        "(early-access members may already before `available_from`)"
    )


class ProductRead(BaseModel):
    handle: str
    title: dict[str, str]
    description: dict[str, str]
    category: str | None
    attributes: dict[str, Any]
    variants: list[VariantRead]
    listings: list[ListingRead]
    created_at: datetime
    updated_at: datetime


class CategoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CategoryCode
    names: dict[LocaleKey, Title] = Field(default_factory=dict, max_length=100)
    parent: CategoryCode | None = None


class CategoryRead(BaseModel):
    code: str
    names: dict[str, str]
    parent: str | None
