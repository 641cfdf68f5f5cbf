"""Response bodies of the storefront catalog: what a shopper in one channel sees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from souk.api.shapes import Money
from souk.catalog.models import HoldStock


class TaxRead(BaseModel):
    rate: str = Field(description='Decimal string, e.g. "0.20"')
    amount: int = Field(description="Tax in one unit, in minor units")
    included: bool = Field(description="Whether `price` already includes it")


class CatalogVariant(BaseModel):
    sku: str
    options: dict[str, str]
    barcode: str | None
    weight_g: int | None
    price: Money = Field(description="The unit price as this channel shows it")
    price_excluding_tax: Money
    price_including_tax: Money
    tax: TaxRead
    formatted_price: str = Field(description="`price` formatted for the locale")
    available: int = Field(description="Units this channel can promise now (ATP)")
    allow_backorder: bool


class ListingWindow(BaseModel):
    available_from: datetime | None
    available_until: datetime | None
    hold_stock: HoldStock
    hold_minutes: int | None


class CatalogProduct(BaseModel):
    handle: str
    title: str
    description: str | None
    category: str | None
    attributes: dict[str, Any]
    listing: ListingWindow
    variants: list[CatalogVariant]
    available: int = Field(description="Units of all its variants this channel can promise")


class CatalogPage(BaseModel):
    data: list[CatalogProduct]
    next_cursor: str | None
    channel: str
    locale: str
    currency: str
    prices_include_tax: bool
