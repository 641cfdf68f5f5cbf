"""Request and response bodies of the gift-card API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from souk.api.shapes import Money
from souk.channels.schemas import CurrencyCode
from souk.text import Text

GiftCardIdPath = Annotated[str, Path(max_length=64, pattern=r"^gft_[0-9A-Za-z_-]+$")]
MAX_CARD = 10**9


class GiftCardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: CurrencyCode
    amount: StrictInt = Field(gt=0, le=MAX_CARD)
    expires_at: datetime | None = None
    customer: Annotated[str, Field(max_length=64, pattern=r"^cus_[0-9A-Za-z_-]+$")] | None = None


class GiftCardIssued(BaseModel):
    """The only answer that carries the code: it is stored as a digest."""

    id: str
    code: str
    last4: str
    balance: Money
    expires_at: datetime | None


class GiftCardEntry(BaseModel):
    type: str
    amount: int
    order: str | None
    reason: str | None
    created_at: datetime


class GiftCardRead(BaseModel):
    id: str
    kind: str
    last4: str
    currency: str
    balance: Money
    status: str
    customer: str | None
    expires_at: datetime | None
    ledger: list[GiftCardEntry]


class GiftCardAdjust(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: StrictInt = Field(ge=-MAX_CARD, le=MAX_CARD)
    reason: Text = Field(min_length=1, max_length=500)


class GiftCardLookup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9 -]+$")]
