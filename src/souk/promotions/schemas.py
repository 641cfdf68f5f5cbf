"""Request and response bodies of the promotions API (API.md, "Promotions, coupons")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from souk.channels.schemas import Code, CurrencyCode
from souk.promotions.models import TARGETS, ActionType, Stacking, Target
from souk.text import Text

PromotionIdPath = Annotated[str, Path(max_length=64, pattern=r"^prm_[0-9A-Za-z_-]+$")]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
CouponCode = Annotated[str, Field(min_length=3, max_length=64, pattern=CODE_PATTERN)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]
Category = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]
MAX_AMOUNT = 10**12


class PromotionAmount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT)
    currency: CurrencyCode


class PromotionConditions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_subtotal: PromotionAmount | None = None
    min_quantity: StrictInt | None = Field(default=None, ge=1, le=10_000)
    skus: list[Sku] = Field(default_factory=list, max_length=1000)
    categories: list[Category] = Field(default_factory=list, max_length=200)
    first_order: StrictBool = False


class PromotionAction(BaseModel):
    """`value` is a percentage as a decimal string for `percent_off` ("12.5"), an amount in
    minor units of `currency` for `amount_off` and `fixed_price`."""

    model_config = ConfigDict(extra="forbid")

    type: ActionType
    target: Target
    value: Annotated[str, Field(max_length=20)] | StrictInt | None = None
    currency: CurrencyCode | None = None
    buy: StrictInt | None = Field(default=None, ge=1, le=100)
    get: StrictInt | None = Field(default=None, ge=1, le=100)
    sku: Sku | None = None

    @model_validator(mode="after")
    def _coherent(self) -> PromotionAction:
        if self.target not in TARGETS[self.type]:
            allowed = ", ".join(sorted(TARGETS[self.type]))
            raise ValueError(f"{self.type.value} applies to {allowed}, not {self.target.value}")
        if self.type == ActionType.PERCENT_OFF:
            percent_value(self.value)
        elif self.type in (ActionType.AMOUNT_OFF, ActionType.FIXED_PRICE):
            if not isinstance(self.value, int) or not 0 <= self.value <= MAX_AMOUNT:
                raise ValueError(f"{self.type.value} needs `value`: an amount in minor units")
            if self.currency is None:
                raise ValueError(f"{self.type.value} needs the `currency` of its amount")
            if self.type == ActionType.AMOUNT_OFF and self.value == 0:
                raise ValueError("amount_off of 0 takes nothing off")
        elif self.type == ActionType.BUY_X_GET_Y and (self.buy is None or self.get is None):
            raise ValueError("buy_x_get_y needs `buy` and `get`")
        elif self.type == ActionType.GIFT_ITEM and self.sku is None:
            raise ValueError("gift_item needs the `sku` of the gift")
        return self


def percent_value(value: str | int | None) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('percent_off needs `value` as a decimal string, e.g. "10"')
    try:
        percent = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not a decimal number") from exc
    if not percent.is_finite() or not Decimal(0) < percent <= Decimal(100):
        raise ValueError("a percentage is more than 0 and at most 100")
    if percent.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("a percentage has at most four decimal places")
    return percent


class PromotionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    active: StrictBool = True
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    channels: list[Code] = Field(default_factory=list, max_length=100)
    customer_tiers: list[Label] = Field(default_factory=list, max_length=50)
    segments: list[Label] = Field(default_factory=list, max_length=50)
    coupon_required: StrictBool = False
    conditions: PromotionConditions = Field(default_factory=PromotionConditions)
    actions: list[PromotionAction] = Field(min_length=1, max_length=10)
    priority: StrictInt = Field(default=0, ge=-1000, le=1000)
    stacking: Stacking = Stacking.COMBINABLE
    usage_limit: StrictInt | None = Field(default=None, ge=1, le=10**9)
    per_customer_limit: StrictInt | None = Field(default=None, ge=1, le=10**6)

    @model_validator(mode="after")
    def _window(self) -> PromotionCreate:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("`ends_at` must be after `starts_at`")
        return self


class PromotionUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    active: StrictBool | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: StrictInt | None = Field(default=None, ge=-1000, le=1000)
    usage_limit: StrictInt | None = Field(default=None, ge=1, le=10**9)
    per_customer_limit: StrictInt | None = Field(default=None, ge=1, le=10**6)


class PromotionRead(PromotionCreate):
    id: str
    times_used: int
    created_at: datetime
    updated_at: datetime


class CodesCreate(BaseModel):
    """Either one `code`, or `count` unique single-use codes with an optional `prefix`."""

    model_config = ConfigDict(extra="forbid")

    code: CouponCode | None = None
    count: StrictInt | None = Field(default=None, ge=1, le=10_000)
    prefix: Annotated[str, Field(max_length=20, pattern=r"^[A-Za-z0-9-]*$")] | None = None
    usage_limit: StrictInt | None = Field(default=None, ge=1, le=10**9)

    @model_validator(mode="after")
    def _one_way(self) -> CodesCreate:
        if (self.code is None) == (self.count is None):
            raise ValueError("send either `code` or `count`")
        return self


class CodesRead(BaseModel):
    promotion: str
    codes: list[str]


class PersonalCouponCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    promotion: Annotated[str, Field(max_length=64, pattern=r"^prm_[0-9A-Za-z_-]+$")]
    customer: Annotated[str, Field(max_length=64, pattern=r"^cus_[0-9A-Za-z_-]+$")]


class PersonalCouponRead(BaseModel):
    promotion: str
    customer: str
    code: str
