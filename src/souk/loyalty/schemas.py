"""Request and response bodies of the loyalty API (API.md, "Loyalty")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from souk.channels.schemas import Code
from souk.text import JsonObject, Text

Rate = Annotated[Decimal, Field(ge=0, le=1000, max_digits=12, decimal_places=6)]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]
MAX_POINTS = 10**9


class EarnRuleBody(BaseModel):
    """A `factor` on the base rate for the lines it matches (0 excludes them), or a `bonus`
    of points per order in its channels."""

    model_config = ConfigDict(extra="forbid")

    factor: Rate = Decimal(1)
    channels: list[Code] = Field(default_factory=list, max_length=100)
    categories: list[Label] = Field(default_factory=list, max_length=200)
    skus: list[Label] = Field(default_factory=list, max_length=1000)
    bonus: StrictInt = Field(default=0, ge=0, le=1_000_000)


class TierBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Text = Field(min_length=1, max_length=100)
    threshold_points: StrictInt = Field(ge=0, le=MAX_POINTS)
    window_days: StrictInt = Field(ge=1, le=3660)
    multiplier: Rate = Decimal(1)
    benefits: JsonObject = Field(default_factory=dict)


class ProgramBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency_rates: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Rate] = Field(
        min_length=1, max_length=50, description="Points earned per minor unit, per currency"
    )
    point_values: dict[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], Rate] = Field(
        default_factory=dict,
        max_length=50,
        description="Minor units one point pays for, per currency (redemption as payment)",
    )
    earn_rules: list[EarnRuleBody] = Field(default_factory=list, max_length=100)
    tiers: list[TierBody] = Field(default_factory=list, max_length=20)
    points_expire_after_days: StrictInt | None = Field(default=None, ge=1, le=3660)
    pending_days: StrictInt = Field(default=0, ge=0, le=365)

    @field_validator("tiers")
    @classmethod
    def _tiers_ordered(cls, tiers: list[TierBody]) -> list[TierBody]:
        codes = [t.code for t in tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("tier codes must be unique")
        thresholds = [t.threshold_points for t in tiers]
        if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
            raise ValueError("tiers are listed by strictly increasing threshold_points")
        return tiers

    @model_validator(mode="after")
    def _rates_positive(self) -> ProgramBody:
        if all(rate == 0 for rate in self.currency_rates.values()):
            raise ValueError("at least one currency must earn points")
        return self


class EarnRuleRead(BaseModel):
    factor: str
    channels: list[str]
    categories: list[str]
    skus: list[str]
    bonus: int


class TierRead(BaseModel):
    code: str
    name: str
    threshold_points: int
    window_days: int
    multiplier: str
    benefits: dict[str, Any]


class ProgramRead(BaseModel):
    """The program as stored; rates are decimal strings, as everywhere in the API."""

    currency_rates: dict[str, str]
    point_values: dict[str, str]
    earn_rules: list[EarnRuleRead]
    tiers: list[TierRead]
    points_expire_after_days: int | None
    pending_days: int
    updated_at: datetime


class LoyaltyEntry(BaseModel):
    type: str
    points: int
    order: str | None
    reason: str | None
    available_at: datetime
    created_at: datetime


class NextTier(BaseModel):
    code: str
    points_needed: int


class LoyaltyRead(BaseModel):
    customer: str
    card_number: str
    balance: int
    pending: int
    tier: str | None
    benefits: dict[str, Any]
    next_tier: NextTier | None
    history: list[LoyaltyEntry]


class AdjustmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: Annotated[str, Field(max_length=64, pattern=r"^cus_[0-9A-Za-z_-]+$")]
    points: StrictInt = Field(ge=-MAX_POINTS, le=MAX_POINTS)
    reason: Text = Field(min_length=1, max_length=500)
