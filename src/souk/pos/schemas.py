"""Request and response models of the point-of-sale API."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from souk.customers.schemas import PostalAddress
from souk.fulfilment.schemas import CODE, PLAIN
from souk.pos.models import PaymentMethod
from souk.returns.models import Condition, RefundTo
from souk.timestamps import RecentTimestamp


class PosLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=CODE)
    quantity: int = Field(ge=1, le=10_000)
    unit_price: int | None = Field(
        default=None, ge=0, le=10**10,
        description="What the till charged per unit (offline sales keep the price of the "
        "moment); default: the channel's price now.",
    )  # fmt: skip


class PosCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, min_length=3, max_length=254, pattern=PLAIN)
    loyalty_card: str | None = Field(default=None, min_length=1, max_length=64, pattern=PLAIN)
    customer_id: str | None = Field(default=None, min_length=1, max_length=40, pattern=CODE)

    @model_validator(mode="after")
    def _one_at_least(self) -> Self:
        if not (self.email or self.loyalty_card or self.customer_id):
            raise ValueError("give an email, a loyalty card or a customer id")
        return self


class PosPayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: PaymentMethod
    amount: int = Field(ge=0, le=10**12)
    reference: str | None = Field(default=None, max_length=100, pattern=PLAIN)
    code: str | None = Field(
        default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9 -]+$",
        description="gift_card: the code on the card.",
    )  # fmt: skip

    @model_validator(mode="after")
    def _code_for_gift_cards(self) -> Self:
        if (self.method is PaymentMethod.GIFT_CARD) != (self.code is not None):
            raise ValueError("a gift_card payment, and only one, carries the card's code")
        return self


class PosFulfillment(BaseModel):
    """Endless aisle: the store sells what it does not hand over now."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern="^(delivery|pickup)$", description="pickup: here, later")
    shipping_address: PostalAddress | None = None

    @model_validator(mode="after")
    def _address_for_delivery(self) -> Self:
        if self.type == "delivery" and self.shipping_address is None:
            raise ValueError("a delivery needs a shipping_address")
        return self


class PosSale(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_txn_id: str = Field(min_length=1, max_length=100, pattern=CODE)
    occurred_at: RecentTimestamp
    lines: list[PosLine] = Field(min_length=1, max_length=200)
    customer: PosCustomer | None = None
    payments: list[PosPayment] = Field(default=[], max_length=10)
    coupon_codes: list[Annotated[str, Field(min_length=1, max_length=64, pattern=CODE)]] = Field(
        default=[], max_length=20, description="Codes typed at the till (a personal coupon too)."
    )
    fulfillment: PosFulfillment | None = None


class PosPickup(BaseModel):
    """A click & collect order handed over at the till (offline too): the pickup code the
    customer showed, checked when the transaction reaches the server."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["pickup"]
    client_txn_id: str = Field(min_length=1, max_length=100, pattern=CODE)
    occurred_at: RecentTimestamp
    fulfillment_order: str = Field(min_length=1, max_length=40, pattern=CODE)
    pickup_code: str = Field(min_length=1, max_length=20, pattern=PLAIN)


class PosReturnLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64, pattern=CODE)
    quantity: int = Field(ge=1, le=10_000)
    reason: str = Field(min_length=1, max_length=500, pattern=PLAIN)
    condition: Condition


class PosReturn(BaseModel):
    """Any channel's order handed back at this store (offline too): created, received and
    refunded in one transaction when it reaches the server."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["return"]
    client_txn_id: str = Field(min_length=1, max_length=100, pattern=CODE)
    occurred_at: RecentTimestamp
    order: str = Field(min_length=1, max_length=40, pattern=CODE)
    lines: list[PosReturnLine] = Field(min_length=1, max_length=200)
    refund_to: RefundTo


class PosSync(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transactions: list[Any] = Field(
        min_length=1, max_length=500,
        description="Transactions recorded offline, each checked on its own, so that a bad "
        "one never blocks the others: a sale in the shape of POST /v1/pos/sales (`type` "
        "absent or `sale`), a pickup hand-over (`type: pickup`) or a return (`type: return`).",
    )  # fmt: skip


class PosResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    index: int
    client_txn_id: str | None
    status: int = Field(description="201 recorded (or recorded before: `replayed`); 4xx refused")
    replayed: bool
    order: dict[str, Any] | None = None
    fulfillment_order: dict[str, Any] | None = Field(
        default=None, description="pickup: the fulfilment order, collected"
    )
    return_: dict[str, Any] | None = Field(
        default=None, alias="return", description="return: the return, received and refunded"
    )
    discrepancies: list[str] = Field(default=[], description="Counts asked for at the store.")
    warnings: list[str] = []
    problem: dict[str, Any] | None = None


class PosSyncRead(BaseModel):
    results: list[PosResult]
