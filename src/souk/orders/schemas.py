"""Request and response bodies of the orders API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from souk.api.shapes import Money
from souk.customers.schemas import ID_PATTERN, PLAIN, Email, PostalAddress
from souk.timestamps import Timestamp


class AdjustmentRead(BaseModel):
    """What one promotion (through one code, if any) took off a line, or off the
    shipping."""

    promotion: str
    code: str | None
    target: str = Field(description="`lines` or `shipping`.")
    amount: Money


class TotalsRead(BaseModel):
    subtotal: Money
    discount: Money
    shipping: Money
    tax: Money = Field(description="Tax added on top of the prices (0 when they include it).")
    tax_included: Money = Field(description="Tax contained in tax-inclusive prices.")
    total: Money = Field(description="subtotal − discount + shipping + tax, exactly.")
    adjustments: list[AdjustmentRead] = Field(
        default_factory=list,
        description="Every promotion's share of `discount` and of the shipping discount.",
    )


class AllocationRead(BaseModel):
    allocation_id: str
    location: str
    quantity: int


class OrderLineRead(BaseModel):
    id: int
    sku: str
    title: str | None
    quantity: int
    unit_price: Money
    discount: Money
    tax: Money
    tax_rate: str = Field(description='Decimal string, e.g. "0.2".')
    total: Money = Field(description="unit_price × quantity − discount.")
    allocations: list[AllocationRead]


class PaymentRead(BaseModel):
    id: str
    provider: str
    method: str
    status: str
    amount: Money
    captured: Money
    refunded: Money
    voided: Money


class StatusChangeRead(BaseModel):
    status: str
    note: str | None
    at: datetime


class FulfillmentChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern="^(delivery|pickup)$")
    location: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)


class OrderRead(BaseModel):
    id: str
    number: str
    channel: str
    status: str
    source: str
    external_id: str | None
    customer: str | None = Field(description="The customer's id; None for a guest.")
    email: str | None
    locale: str | None
    currency: str
    prices_include_tax: bool
    lines: list[OrderLineRead]
    totals: TotalsRead
    payments: list[PaymentRead]
    shipping_address: dict[str, Any] | None
    fulfillment: dict[str, Any] | None
    fulfillment_orders: list[dict[str, Any]] = Field(
        default_factory=list, description="Filled by the fulfilment domain once it routes."
    )
    status_history: list[StatusChangeRead]
    placed_at: datetime
    created_at: datetime
    updated_at: datetime


class ImportLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    quantity: int = Field(ge=1, le=10_000)
    unit_price: int = Field(ge=0, le=10**12)
    discount: int = Field(default=0, ge=0, le=10**12)
    tax: int = Field(default=0, ge=0, le=10**12)
    tax_rate: Decimal = Field(default=Decimal(0), ge=0, le=1, max_digits=6, decimal_places=5)


class ImportCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: str | None = Field(default=None, max_length=200, pattern=PLAIN)


class OrderImport(BaseModel):
    """An order taken by a marketplace or social shop, brought into Souk."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    external_id: str = Field(min_length=1, max_length=100, pattern=PLAIN)
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")
    lines: list[ImportLine] = Field(min_length=1, max_length=500)
    customer: ImportCustomer | None = None
    shipping: int = Field(default=0, ge=0, le=10**12)
    shipping_tax: int = Field(default=0, ge=0, le=10**12)
    shipping_address: PostalAddress | None = None
    placed_at: Timestamp | None = None
    paid: bool = Field(
        default=True, description="The marketplace collected the payment (recorded as captured)."
    )


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500, pattern=PLAIN)
