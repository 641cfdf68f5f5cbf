"""Request and response models of the returns API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from souk.api.shapes import Money
from souk.fulfilment.schemas import CODE, PLAIN
from souk.returns.models import Condition, RefundTo, ReturnStatus

Sku = Field(min_length=1, max_length=64, pattern=CODE)


class ReturnLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Sku
    quantity: int = Field(ge=1, le=10_000)
    reason: str = Field(min_length=1, max_length=500, pattern=PLAIN)
    exchange_for: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=CODE,
        description="Exchange: the SKU to send instead of a refund (same price).",
    )  # fmt: skip


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineCreate] = Field(min_length=1, max_length=200)
    method: str = Field(pattern="^(in_store|carrier)$")
    location: str | None = Field(
        default=None, max_length=64, pattern=CODE,
        description="in_store: where it will be handed in (any store that takes returns).",
    )  # fmt: skip
    carrier: str | None = Field(default=None, max_length=64, pattern=CODE)
    tracking_number: str | None = Field(default=None, max_length=128, pattern=PLAIN)


class ReceivedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Sku
    quantity: int = Field(ge=1, le=10_000)
    condition: Condition


class ReceiveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: str = Field(min_length=1, max_length=64, pattern=CODE)
    lines: list[ReceivedLine] = Field(min_length=1, max_length=200)


class RefundBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(
        default=None, ge=1, le=10**12, description="Minor units; default: all still refundable."
    )
    to: RefundTo


class ReturnLineRead(BaseModel):
    sku: str
    quantity: int
    reason: str
    amount: Money = Field(description="What the customer paid for these units.")
    exchange_for: str | None
    resellable: int
    damaged: int


class RefundRead(BaseModel):
    id: str
    amount: Money
    to: RefundTo
    store_credit_id: str | None = Field(description="The store-credit gift card's id.")
    store_credit_code: str | None = Field(
        default=None,
        description="Only in the answer of the refund that issued it: the code to spend it with.",
    )
    created_at: datetime


class ReturnRead(BaseModel):
    id: str
    order_id: str
    channel: str
    status: ReturnStatus
    method: str
    location: str | None
    carrier: str | None
    tracking_number: str | None
    lines: list[ReturnLineRead]
    refundable: Money = Field(description="Value of the units received, less refunds.")
    refunds: list[RefundRead]
    exchange_order_id: str | None
    received_location: str | None
    created_at: datetime
    received_at: datetime | None
