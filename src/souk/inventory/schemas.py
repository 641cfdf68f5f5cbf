"""Request and response bodies of the inventory API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from souk.inventory.models import (
    LocationType,
    MovementType,
    ReservationStatus,
    TransferStatus,
)

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"  # as the catalog's
TEXT_PATTERN = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
SKU = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
LOCATION = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
MAX_HOLD_S = 7 * 24 * 3600
ID_PATTERN = r"^[a-z]+_[0-9a-z]+$"

# Path and query parameters, checked like the bodies (garbage is a 422, never a 500).
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=SKU_PATTERN)]
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=CODE_PATTERN)]
IdPath = Annotated[str, Path(min_length=1, max_length=40, pattern=ID_PATTERN)]
SkuQuery = Annotated[str, Query(min_length=1, max_length=64, pattern=SKU_PATTERN)]
LocationQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=CODE_PATTERN)]
# Bounds that keep every figure inside a 32-bit integer column on PostgreSQL.
MAX_UNITS = 10_000_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationAddressIn(Strict):
    line1: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)
    city: str | None = Field(default=None, max_length=100, pattern=TEXT_PATTERN)
    postal_code: str | None = Field(default=None, max_length=20, pattern=TEXT_PATTERN)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in _timezones():
        raise ValueError("not an IANA time zone (e.g. Europe/Paris)")
    return value


class LocationCreate(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)
    type: LocationType
    address: LocationAddressIn
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    timezone: str = Field(default="UTC", max_length=64, pattern=TEXT_PATTERN)
    can_ship: bool = True
    can_pickup: bool = False
    accepts_returns: bool = False
    daily_capacity: int | None = Field(
        default=None, ge=0, le=MAX_UNITS, description="Orders per day"
    )

    _tz = field_validator("timezone")(_check_timezone)


class LocationUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=TEXT_PATTERN)
    address: LocationAddressIn | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    timezone: str | None = Field(default=None, max_length=64, pattern=TEXT_PATTERN)
    can_ship: bool | None = None
    can_pickup: bool | None = None
    accepts_returns: bool | None = None
    daily_capacity: int | None = Field(default=None, ge=0, le=MAX_UNITS)

    _tz = field_validator("timezone")(_check_timezone)

    @field_validator("name", "address", "timezone", "can_ship", "can_pickup", "accepts_returns")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omit a field to keep it; only lat, lon and daily_capacity may be cleared with null.
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class LocationAddressRead(BaseModel):
    line1: str | None
    city: str | None
    postal_code: str | None
    country: str


class LocationRead(BaseModel):
    code: str
    name: str
    type: LocationType
    address: LocationAddressRead
    lat: float | None
    lon: float | None
    timezone: str
    can_ship: bool
    can_pickup: bool
    accepts_returns: bool
    daily_capacity: int | None
    distance_km: float | None = Field(
        default=None, description="Great-circle distance from `near` (null without it)"
    )


class MovementCreate(Strict):
    sku: str = SKU
    location: str = LOCATION
    type: Literal["receipt", "adjustment", "damage", "count"]
    quantity: int = Field(
        ge=-MAX_UNITS,
        le=MAX_UNITS,
        description="Units received or damaged (positive), a signed adjustment, or the counted "
        "quantity (zero or more)",
    )
    reason: str | None = Field(default=None, max_length=500, pattern=TEXT_PATTERN)
    reference: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)


class MovementRead(BaseModel):
    id: str
    sku: str
    location: str
    type: MovementType
    quantity: int = Field(description="Signed change of on hand")
    on_hand_after: int
    reason: str | None
    reference: str | None
    created_at: datetime


class Figures(BaseModel):
    on_hand: int
    reserved: int
    allocated: int
    safety_stock: int
    inbound: int
    available: int


class LocationFigures(Figures):
    location: str


class StockRead(BaseModel):
    sku: str
    total: Figures
    locations: list[LocationFigures]


class StockSettings(Strict):
    safety_stock: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    low_stock_threshold: int | None = Field(default=None, ge=0, le=MAX_UNITS)


class TransferCreate(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sku: str = SKU
    from_: str = Field(alias="from", min_length=1, max_length=64, pattern=CODE_PATTERN)
    to: str = LOCATION
    quantity: int = Field(gt=0, le=MAX_UNITS)
    reference: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)


class TransferRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    sku: str
    from_: str = Field(alias="from")
    to: str
    quantity: int
    status: TransferStatus
    reference: str | None
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    cancelled_at: datetime | None


class ReservationLineIn(Strict):
    sku: str = SKU
    quantity: int = Field(gt=0, le=MAX_UNITS)
    location: str | None = Field(default=None, min_length=1, max_length=64, pattern=CODE_PATTERN)


class ReservationCreate(Strict):
    channel: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    lines: list[ReservationLineIn] = Field(min_length=1, max_length=200)
    expires_in_s: int = Field(gt=0, le=MAX_HOLD_S)
    reference: str | None = Field(default=None, max_length=200, pattern=TEXT_PATTERN)


class ReservedLineRead(BaseModel):
    sku: str
    location: str
    quantity: int


class ReservationRead(BaseModel):
    id: str
    channel: str
    status: ReservationStatus
    reference: str | None
    expires_at: datetime
    created_at: datetime | None
    lines: list[ReservedLineRead]


class AvailabilityRead(BaseModel):
    sku: str
    channel: str
    available: int


class BulkAvailabilityRead(BaseModel):
    channel: str
    data: list[AvailabilityRead]
    unknown: list[str] = Field(description="Requested SKUs that do not exist")


class AvailabilityQuery(Strict):
    skus: list[Annotated[str, SKU]] = Field(min_length=1, max_length=500)


class NearbyRead(BaseModel):
    location: str
    name: str
    distance_km: float
    available: int


class BufferRuleIn(Strict):
    units: int | None = Field(default=None, ge=0, le=MAX_UNITS)
    percent: Decimal | None = Field(default=None, ge=0, le=100, max_digits=5, decimal_places=2)

    @model_validator(mode="after")
    def _one_kind(self) -> BufferRuleIn:
        if self.units is not None and self.percent is not None:
            raise ValueError("give units or percent, not both")
        return self


class ProductBufferIn(BufferRuleIn):
    handle: str = Field(min_length=1, max_length=100, pattern=CODE_PATTERN)

    @model_validator(mode="after")
    def _some_rule(self) -> ProductBufferIn:
        if self.units is None and self.percent is None:
            raise ValueError("give units or percent")
        return self


class BuffersIn(BufferRuleIn):
    """The channel-wide buffer (units or percent, or neither) and per-product overrides."""

    products: list[ProductBufferIn] = Field(default_factory=list, max_length=10_000)


class ProductBufferRead(BaseModel):
    handle: str
    units: int | None
    percent: Decimal | None


class BuffersRead(BaseModel):
    channel: str
    units: int | None
    percent: Decimal | None
    products: list[ProductBufferRead]
