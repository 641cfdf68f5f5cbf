"""The fraud screening's HTTP shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SignalRead(BaseModel):
    name: str
    weight: float = Field(description="What this signal added to the score")
    detail: str


class ReviewRead(BaseModel):
    outcome: str = Field(description="legitimate | fraud")
    note: str | None
    by: str | None
    at: datetime


class RiskRead(BaseModel):
    order_id: str
    channel: str
    score: int = Field(ge=0, le=100)
    decision: str = Field(description="accept | review | reject")
    status: str = Field(
        description="clear | held (waits for a review; fulfilment will not move it) | "
        "released | rejected"
    )
    on_hold: bool
    signals: list[SignalRead]
    placed_at: datetime
    assessed_at: datetime
    review: ReviewRead | None


class ReviewOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(pattern="^(legitimate|fraud)$")
    note: str | None = Field(default=None, max_length=500)


class WeightRead(BaseModel):
    signal: str
    weight: float
    default: float
    confirmed: int = Field(description="Reviews that found fraud while this signal fired")
    cleared: int = Field(description="Reviews that found the order honest while it fired")
