"""Request and response models of forecasting and replenishment."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class ForecastPointRead(BaseModel):
    date: dt.date = Field(description="First day of the period (a Monday for weekly forecasts).")
    mean: float
    lo: float = Field(description="Lower bound of the prediction interval (`level` percent).")
    hi: float


class ForecastAccuracyRead(BaseModel):
    mase: float | None = Field(description="Mean absolute scaled error of the backtest.")
    rmsse: float | None
    windows: int = Field(description="Rolling origins the backtest used (0: too short).")


class ForecastEffectRead(BaseModel):
    name: str = Field(description="`promotion`, or `holidays:CC` for the location's country.")
    coefficient: float = Field(
        description="Its size on the log scale: a period with it sells exp(coefficient) "
        "times what it would without."
    )
    uplift_pct: float = Field(description="The same as a percentage: 100 (exp(coefficient) − 1).")
    history_periods: int = Field(description="Periods of the history with the effect.")
    horizon_periods: int = Field(description="Periods forecast with the effect (planned).")
    promotions: list[str] = Field(
        default_factory=list, description="The promotions behind a promotion effect."
    )


class ForecastRead(BaseModel):
    sku: str
    location: str
    frequency: Literal["week", "day"]
    model: str
    demand_class: str
    history: int = Field(description="Periods of history the model was fitted on.")
    level: int
    computed_at: dt.datetime
    accuracy: ForecastAccuracyRead
    effects: list[ForecastEffectRead] = Field(
        description="The effects the forecast used; empty when none was (see `why`)."
    )
    why: str = Field(description="Which effects were used or left out, and why.")
    points: list[ForecastPointRead]


class SuggestionRead(BaseModel):
    type: Literal["reorder", "transfer"]
    id: str | None = Field(description="The transfer proposal to accept; none for a reorder.")
    sku: str
    from_: str | None = Field(alias="from", serialization_alias="from")
    to: str
    quantity: int
    why: str
    status: str | None = None
    reorder_point: int | None = None
    order_up_to: int | None = None
    transfer: str | None = Field(default=None, description="The transfer, once accepted.")

    model_config = {"populate_by_name": True}


class SuggestionsRead(BaseModel):
    location: str
    data: list[SuggestionRead]
