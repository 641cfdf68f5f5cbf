"""Request and response models of journeys, messages and experiments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from souk.cdp.schemas import Purpose
from souk.engagement.models import Channel, Trigger

Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class MessageTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(default="", max_length=500)
    body: str = Field(min_length=1, max_length=50_000)


Template = Annotated[dict[Locale, MessageTemplate], Field(min_length=1, max_length=50)]


class ExperimentVariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    weight: int = Field(default=1, ge=1, le=10_000)
    template: Template | None = Field(
        default=None, description="For a journey: this variant's template (else the journey's)."
    )
    coupon_promotion: str | None = Field(
        default=None, max_length=40, description="For a journey: this variant's coupon."
    )


class ExperimentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    variants: list[ExperimentVariantIn] = Field(min_length=2, max_length=10)
    min_exposures: int = Field(
        default=1000, ge=1, le=10_000_000, description="Per variant, before any decision."
    )
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    attribution_days: int = Field(default=7, ge=1, le=90)


class ExperimentCreate(ExperimentIn):
    name: str = Field(min_length=1, max_length=200)


class JourneyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    trigger: Trigger
    delay_s: int = Field(default=0, ge=0, le=90 * 86_400)
    channel: Channel
    purpose: Purpose = "marketing"
    template: Template
    coupon_promotion: str | None = Field(default=None, max_length=40)
    segment: str | None = Field(
        default=None, max_length=40, description="Required for `segment.entered`."
    )
    experiment: ExperimentIn | None = None
    active: bool = True


class ExperimentVariantRead(BaseModel):
    name: str
    weight: int
    template: dict[str, MessageTemplate] | None = None
    coupon_promotion: str | None = None


class ExperimentRead(BaseModel):
    id: str
    name: str
    variants: list[ExperimentVariantRead]
    min_exposures: int
    alpha: float
    attribution_days: int
    created_at: datetime


class JourneyRead(BaseModel):
    id: str
    name: str
    trigger: Trigger
    delay_s: int
    channel: Channel
    purpose: str
    template: dict[str, MessageTemplate]
    coupon_promotion: str | None
    segment: str | None
    experiment: ExperimentRead | None
    active: bool
    created_at: datetime


class MessageRead(BaseModel):
    id: str
    journey: str
    profile: str
    trigger: str
    object: str = Field(description="What triggered it: the cart, order, SKU request …")
    channel: str
    status: Literal["queued", "sending", "sent", "suppressed", "cancelled", "failed"]
    reason: str | None = Field(description="Why it was suppressed, cancelled or failed.")
    send_after: datetime
    sent_at: datetime | None
    recipient: str | None
    locale: str | None
    subject: str | None
    experiment: str | None
    variant: str | None
    coupon_code: str | None
    opens: int
    clicks: int
    first_opened_at: datetime | None
    first_clicked_at: datetime | None
    unsubscribed_at: datetime | None
    created_at: datetime


class AssignmentRead(BaseModel):
    experiment: str
    profile: str
    variant: str


class ExperimentVariantResult(BaseModel):
    name: str
    exposures: int
    conversions: int
    rate: float
    ci_low: float = Field(description="95 % Wilson interval of the conversion rate.")
    ci_high: float
    difference: float | None = Field(description="Rate minus the control's.")
    difference_ci_low: float | None
    difference_ci_high: float | None
    p_value: float | None = Field(description="Fisher's exact test against the control.")


class ExperimentResults(BaseModel):
    experiment: str
    control: str
    variants: list[ExperimentVariantResult]
    decision: Literal["collecting", "winner", "no_difference"]
    winner: str | None
    rule: str
