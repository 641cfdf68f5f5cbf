"""Responses of the analytics API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from souk.api.shapes import Money


class SalesRowRead(BaseModel):
    period: date = Field(description="First day of the day, ISO week (Monday) or month.")
    channel: str | None = None
    country: str | None = None
    store: str | None = Field(default=None, description="The till's or pickup store; null: online.")
    category: str | None = None
    orders: int
    revenue: Money
    aov: Money = Field(description="Average order value, rounded half up to a minor unit.")
    units: int
    refunded: Money | None = Field(
        default=None, description="Refunds issued in the period (not grouped by category)."
    )


class AnalyticsFreshness(BaseModel):
    refreshed_at: datetime | None = Field(
        description="When the analytics store last copied the primary (null: never)."
    )


class SalesRead(AnalyticsFreshness):
    from_: date = Field(alias="from")
    to: date
    by: list[str]
    rows: list[SalesRowRead]

    model_config = {"populate_by_name": True}


class KpiRatioRead(BaseModel):
    count: int
    of: int
    rate: float | None = Field(description="count / of; null when `of` is 0.")


class ReturnRatesRead(BaseModel):
    overall: KpiRatioRead
    channels: dict[str, KpiRatioRead]
    reasons: dict[str, KpiRatioRead] = Field(description="Returned units per reason, of all.")


class BuyersRead(BaseModel):
    new: int
    returning: int
    anonymous_orders: int


class RetentionRead(BaseModel):
    months_later: int
    customers: int
    rate: float | None


class CohortRead(BaseModel):
    cohort: str = Field(description="YYYY-MM of the customers' first order.")
    customers: int
    retained: list[RetentionRead]


class InventoryKpisRead(BaseModel):
    units_sold: int
    on_hand_start: int
    on_hand_end: int
    turnover: float | None
    available_now: int
    days_of_cover: float | None
    stock_outs_now: int
    stock_lines: int
    stock_outs_in_period: int


class CurrencyTotalsRead(BaseModel):
    currency: str
    orders: int
    revenue: Money
    aov: Money
    units: int
    refunded: Money


class KpisRead(AnalyticsFreshness):
    from_: date = Field(alias="from")
    to: date
    sales: list[CurrencyTotalsRead]
    conversion: KpiRatioRead
    cart_abandonment: KpiRatioRead
    click_and_collect_share: KpiRatioRead
    ship_from_store_share: KpiRatioRead
    return_rate: ReturnRatesRead
    ropo_share: KpiRatioRead
    customers: BuyersRead
    cohorts: list[CohortRead]
    inventory: InventoryKpisRead

    model_config = {"populate_by_name": True}


class AnalyticsRefreshRead(AnalyticsFreshness):
    full: bool
    seconds: float
    rows: dict[str, int] = Field(description="Rows copied per source in this refresh.")
