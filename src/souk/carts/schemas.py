"""Request and response bodies of the carts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from souk.api.shapes import Money
from souk.carts.models import MAX_LINE_QUANTITY
from souk.customers.schemas import ID_PATTERN, Email, LocaleTag, PostalAddress
from souk.orders.schemas import AdjustmentRead, FulfillmentChoice, TotalsRead

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
Currency = Field(default=None, min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")


class CartCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str | None = Currency
    locale: LocaleTag = None
    email: Email | None = None
    shipping_address: PostalAddress | None = None
    fulfillment: FulfillmentChoice | None = None


class CartUpdate(BaseModel):
    """Only the fields sent change. `gift_cards` (codes; `[]` removes them) and
    `loyalty_points` (`0` removes them) pay for the cart before the checkout's payment:
    see `souk.carts.tenders`."""

    model_config = ConfigDict(extra="forbid")

    currency: str | None = Currency
    locale: LocaleTag = None
    email: Email | None = None
    shipping_address: PostalAddress | None = None
    fulfillment: FulfillmentChoice | None = None
    coupon_codes: list[Code] | None = Field(default=None, max_length=20)
    gift_cards: list[Code] | None = Field(default=None, max_length=20)
    loyalty_points: int | None = Field(default=None, ge=0)


class LineAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    quantity: int = Field(default=1, ge=1, le=MAX_LINE_QUANTITY)


class LineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)


class PaymentInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=32, pattern=ID_PATTERN)
    token: str = Field(min_length=1, max_length=200, pattern=ID_PATTERN)


class CheckoutRiskInput(BaseModel):
    """What the storefront knows of the buyer's session, for fraud screening (all optional;
    a signal whose facts are missing does not fire)."""

    model_config = ConfigDict(extra="forbid")

    card_fingerprint: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The payment provider's fingerprint of the card (the same for one card "
        "across tokens)",
    )
    device_id: str | None = Field(default=None, min_length=1, max_length=100)
    billing_country: str | None = Field(default=None, pattern="^[A-Za-z]{2}$")
    pickup_by_other: bool = Field(
        default=False, description="Someone other than the buyer will collect the order"
    )


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment: PaymentInput
    risk: CheckoutRiskInput | None = None


class CartHoldRead(BaseModel):
    expires_at: datetime


class CartLinePickupRead(BaseModel):
    available_now: bool = Field(
        description="The store has the units now (or this cart holds them there)."
    )
    estimated_ready_at: datetime | None = Field(
        description="When not available now: when a transfer from another location of the "
        "channel's network would make them ready at the store; None if none can supply them."
    )


class CartLineRead(BaseModel):
    id: str
    sku: str
    product: str | None = Field(description="The product's handle.")
    title: str | None = Field(description="In the cart's locale (with fallbacks).")
    quantity: int
    unit_price: Money | None = Field(description="None when not priced in this currency.")
    discount: Money
    tax: Money
    tax_rate: str
    total: Money = Field(description="unit_price × quantity − discount.")
    available: int = Field(description="Units this channel can still promise to this cart.")
    pickup_available: bool | None = Field(
        description="With pickup chosen: whether the store has it; else None."
    )
    pickup: CartLinePickupRead | None = Field(
        default=None, description="With a pickup store chosen: ready now, or by when."
    )
    hold: CartHoldRead | None = Field(description="Held for this cart until then (drops).")
    issues: list[str]
    adjustments: list[AdjustmentRead] = Field(
        default_factory=list, description="Which promotion took what off this line."
    )
    gift_of: str | None = Field(
        default=None,
        description="A gift line: the promotion that gives it (at 0, while it applies).",
    )


class ChangeRead(BaseModel):
    line_id: str
    sku: str
    reason: str
    message: str
    previous: Money | None = None
    current: Money | None = None


class ProblemRead(BaseModel):
    code: str
    message: str


class ShippingRead(BaseModel):
    rate: str
    name: str
    amount: Money


class TenderRead(BaseModel):
    method: str = Field(description="gift_card | loyalty_points")
    gift_card: str | None = Field(default=None, description="The card's id.")
    last4: str | None = None
    balance: Money | None = Field(default=None, description="The card's balance now.")
    points: int | None = Field(default=None, description="The points this pays with.")
    amount: Money = Field(description="What this tender pays of the cart's total.")


class CartRead(BaseModel):
    id: str
    status: str
    customer: str | None
    channel: str = Field(description="The last channel that touched the cart.")
    currency: str
    locale: str
    email: str | None
    shipping_address: dict[str, Any] | None
    fulfillment: FulfillmentChoice
    lines: list[CartLineRead]
    totals: TotalsRead
    shipping: ShippingRead | None
    changes: list[ChangeRead] = Field(description="What changed since the cart was last shown.")
    problems: list[ProblemRead] = Field(description="What must be fixed before checkout.")
    tenders: list[TenderRead] = Field(
        default_factory=list,
        description="Gift cards, then points, in the order they pay; the checkout's payment "
        "pays `amount_due`.",
    )
    amount_due: Money | None = Field(
        default=None, description="totals.total less what the tenders pay; never below zero."
    )
    ready_for_checkout: bool
    order_id: str | None
    merged_into: str | None
    created_at: datetime
    updated_at: datetime
