"""Inventory rules and value objects — pure Python, no database, no HTTP.

Stock is kept per variant and location as five figures (on hand, reserved, allocated, safety
stock, inbound). Every change of on hand is a movement in the ledger; reservations and
allocations only move units between "available" and "committed".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import NamedTuple

from souk.errors import ValidationFailed, field_error

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius: the usual choice for great-circle distance


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    DROPSHIP = "dropship"


class MovementType(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    DAMAGE = "damage"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    COUNT = "count"


# Units coming in or going out: the quantity is a count of units, the type gives the sign.
INBOUND_TYPES = frozenset({MovementType.RECEIPT, MovementType.RETURN, MovementType.TRANSFER_IN})
OUTBOUND_TYPES = frozenset({MovementType.SALE, MovementType.DAMAGE, MovementType.TRANSFER_OUT})
# A drop-ship vendor ships its own stock straight to customers: nothing is delivered to it.
NOT_AT_DROPSHIP = frozenset({MovementType.RECEIPT, MovementType.RETURN, MovementType.TRANSFER_IN})


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


TRANSFER_STEPS = {
    "ship": (TransferStatus.REQUESTED, TransferStatus.SHIPPED),
    "receive": (TransferStatus.SHIPPED, TransferStatus.RECEIVED),
    "cancel": (TransferStatus.REQUESTED, TransferStatus.CANCELLED),
}


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    ALLOCATED = "allocated"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Address:
    line1: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A location as the other domains see it."""

    code: str
    name: str
    type: LocationType
    country: str
    lat: float | None
    lon: float | None
    timezone: str
    can_ship: bool
    can_pickup: bool
    accepts_returns: bool
    daily_capacity: int | None
    address: Address = field(default_factory=Address)

    @property
    def is_dropship(self) -> bool:
        return self.type is LocationType.DROPSHIP


@dataclass(frozen=True, slots=True)
class StockFigures:
    on_hand: int = 0
    reserved: int = 0
    allocated: int = 0
    safety_stock: int = 0
    inbound: int = 0

    @property
    def available(self) -> int:
        """What can still be promised here; never shown below zero."""
        return max(0, self.on_hand - self.reserved - self.allocated - self.safety_stock)


@dataclass(frozen=True, slots=True)
class Movement:
    id: str
    sku: str
    location: str
    type: MovementType
    quantity: int  # signed: what it did to on hand
    on_hand_after: int
    reason: str | None
    reference: str | None
    created_at: datetime


class ReserveLine(NamedTuple):
    sku: str
    quantity: int
    location: str | None = None


class ReservedLine(NamedTuple):
    sku: str
    location: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReservationInfo:
    id: str
    expires_at: datetime
    lines: list[ReservedLine]
    channel: str = ""
    reference: str | None = None
    status: ReservationStatus = ReservationStatus.ACTIVE
    created_at: datetime | None = None
    # (sku, location code) of the stock rows the reserving read (not part of the value):
    # allocating the reservation right after (a checkout) labels its allocations with
    # them instead of reading the rows again. May miss rows; `allocate` reads those.
    stock: Mapping[int, tuple[str, str]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Allocation:
    id: str
    sku: str
    location: str
    quantity: int  # still allocated (neither consumed nor released)
    reference: str
    reservation_id: str | None = None
    consumed: int = 0
    released: int = 0


def movement_delta(type_: MovementType, quantity: int, on_hand: int) -> int:
    """What a movement of `quantity` does to on hand; ValidationFailed if it makes no sense.

    In and out movements take a positive count of units; an adjustment is signed and not
    zero; a count is the counted quantity (zero or more) and its delta is the difference.
    """
    if type_ in INBOUND_TYPES:
        _positive(quantity)
        return quantity
    if type_ in OUTBOUND_TYPES:
        _positive(quantity)
        return -quantity
    if type_ is MovementType.ADJUSTMENT:
        if quantity == 0:
            raise _bad_quantity("an adjustment of 0 changes nothing")
        return quantity
    if quantity < 0:
        raise _bad_quantity("a count cannot be below zero")
    return quantity - on_hand


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise _bad_quantity("must be a positive number of units (the type gives the direction)")


def _bad_quantity(message: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid quantity: {message}", errors=[field_error("body.quantity", message)]
    )


def transfer_step(action: str, status: TransferStatus) -> TransferStatus | None:
    """The status after `action`; None if not allowed from `status`."""
    before, after = TRANSFER_STEPS[action]
    return after if status is before else None


def withheld(total: int, *, units: int | None, percent: Decimal | None) -> int:
    """Units a channel buffer keeps back from `total`; a percentage is rounded up, so that
    a lagging marketplace never gets the last unit."""
    if total <= 0:
        return 0
    held = 0
    if units is not None:
        held = units
    elif percent is not None:
        held = int((Decimal(total) * percent / 100).to_integral_value(ROUND_CEILING))
    return min(total, max(0, held))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """Every point within `radius_km` of a centre lies inside; the lon ranges are one, or two
    when the box crosses the antimeridian, or none (any longitude) near a pole."""

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    angular = radius_km / EARTH_RADIUS_KM
    min_lat = lat - math.degrees(angular)
    max_lat = lat + math.degrees(angular)
    if min_lat <= -90 or max_lat >= 90:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), ())
    # The widest longitude span of a circle on the sphere (not lat-scaled naively), so
    # that points near the box's corners are not cut off at high latitudes.
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    lo, hi = lon - dlon, lon + dlon
    if dlon >= 180:
        return BoundingBox(min_lat, max_lat, ())
    if lo < -180:
        return BoundingBox(min_lat, max_lat, ((lo + 360, 180.0), (-180.0, hi)))
    if hi > 180:
        return BoundingBox(min_lat, max_lat, ((lo, 180.0), (-180.0, hi - 360)))
    return BoundingBox(min_lat, max_lat, ((lo, hi),))
