"""Request and response bodies of the pricing API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from souk.catalog.schemas import CategoryCode, Sku
from souk.channels.schemas import Code, CountryCode, CurrencyCode
from souk.text import Text

Amount = Annotated[
    StrictInt, Field(ge=0, le=10**12, description="Minor units (cents; yen for JPY)")
]
Rate = Annotated[
    str,
    Field(
        pattern=r"^0(\.[0-9]{1,5})?$",
        description='A decimal string between 0 and 1, at most 5 places: "0.20"',
        examples=["0.20"],
    ),
]


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    currency: CurrencyCode
    amount: Amount
    channel: Code | None = Field(
        default=None, description="Override for one channel; omitted: the price everywhere"
    )


class PriceRead(BaseModel):
    sku: str
    currency: str
    amount: int
    channel: str | None


class ChannelPrice(BaseModel):
    channel: str
    amount: int
    source: str = Field(description="`override` (set for this channel) or `base`")


class Inconsistency(BaseModel):
    sku: str
    currency: str
    base: int | None
    prices: list[ChannelPrice]


class TaxRateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: CountryCode
    region: str | None = Field(
        default=None, min_length=1, max_length=10, pattern=r"^[A-Z0-9-]+$", examples=["NY"]
    )
    category: CategoryCode | None = None
    rate: Rate
    name: Text | None = Field(default=None, min_length=1, max_length=100)


class TaxRateRead(BaseModel):
    country: str
    region: str | None
    category: str | None
    rate: str
    name: str | None
    updated_at: datetime
