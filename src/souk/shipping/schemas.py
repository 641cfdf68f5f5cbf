"""Request and response bodies of the shipping-rates API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from souk.customers.schemas import ID_PATTERN, PLAIN, Country

MAX_WEIGHT_G = 100_000_000  # 100 tonnes: beyond any parcel, inside a 32-bit column
ChannelCode = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
Code = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")


class RatePrice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")
    amount: int = Field(ge=0, le=10**12, description="Minor units of the currency.")


class ShippingRateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Code
    name: str = Field(min_length=1, max_length=200, pattern=PLAIN)
    countries: list[Country] = Field(min_length=1, max_length=300)
    prices: list[RatePrice] = Field(min_length=1, max_length=50)
    min_weight_g: int | None = Field(default=None, ge=0, le=MAX_WEIGHT_G)
    max_weight_g: int | None = Field(default=None, ge=0, le=MAX_WEIGHT_G)
    channels: list[ChannelCode] | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        currencies = [p.currency for p in self.prices]
        if len(set(currencies)) != len(currencies):
            raise ValueError("prices: one price per currency")
        if (
            self.min_weight_g is not None
            and self.max_weight_g is not None
            and self.min_weight_g > self.max_weight_g
        ):
            raise ValueError("min_weight_g is above max_weight_g")
        return self


class ShippingRateRead(ShippingRateCreate):
    created_at: datetime
    updated_at: datetime
