"""Locations: warehouses, stores and drop-ship vendors, and "near me" by distance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.db.reference import LOCATIONS
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, NotFound, ValidationFailed, field_error
from souk.inventory.models import Location, LocationType, bounding_box, haversine_km
from souk.inventory.queries import in_box, locations_by_code, to_location
from souk.inventory.tables import LocationRow

ADDRESS_FIELDS = ("line1", "city", "postal_code")
FIELDS = (
    "name",
    "type",
    "lat",
    "lon",
    "timezone",
    "can_ship",
    "can_pickup",
    "accepts_returns",
    "daily_capacity",
)


def _check_rules(values: dict[str, Any]) -> None:
    """Rules across fields that a schema cannot state alone."""
    errors = []
    if values["type"] == LocationType.DROPSHIP and values["can_pickup"]:
        errors.append(field_error("body.can_pickup", "a drop-ship vendor is not a pickup point"))
    if values["type"] == LocationType.DROPSHIP and values["accepts_returns"]:
        errors.append(field_error("body.accepts_returns", "a drop-ship vendor takes no returns"))
    if (values["lat"] is None) != (values["lon"] is None):
        errors.append(field_error("body.lat", "give both lat and lon, or neither"))
    if values["can_pickup"] and values["lat"] is None:
        errors.append(field_error("body.lat", "a pickup point needs coordinates"))
    if errors:
        raise ValidationFailed("The location is not valid", errors=errors)


def create_location(*, uow: UnitOfWork, code: str, values: dict[str, Any]) -> Location:
    """`values`: the FIELDS plus `country` and the address fields."""
    _check_rules(values)
    with uow:
        if uow.session.scalar(select(LocationRow.id).where(LocationRow.code == code)):
            raise AlreadyExists(f"A location with code {code!r} exists")
        now = utcnow()
        row = LocationRow(code=code, created_at=now, updated_at=now, **values)
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError:
            raise AlreadyExists(f"A location with code {code!r} exists") from None
        location = to_location(row)
        uow.commit()
        LOCATIONS.forget(uow.db)  # this process routes with it at once
        return location


def update_location(*, uow: UnitOfWork, code: str, changes: dict[str, Any]) -> Location:
    with uow:
        row = uow.session.scalar(select(LocationRow).where(LocationRow.code == code))
        if row is None:
            raise NotFound(f"No location {code!r}")
        current = {name: getattr(row, name) for name in (*FIELDS, "country", *ADDRESS_FIELDS)}
        merged = {**current, **changes}
        _check_rules(merged)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        uow.session.flush()
        location = to_location(row)
        uow.commit()
        LOCATIONS.forget(uow.db)  # this process routes with the change at once
        return location


def read_location(*, uow: UnitOfWork, code: str) -> Location:
    with uow:
        found = locations_by_code(session=uow.session, codes=[code]).get(code)
        if found is None:
            raise NotFound(f"No location {code!r}")
        return found


@dataclass(frozen=True, slots=True)
class Near:
    location: Location
    distance_km: float


def list_locations(
    *,
    uow: UnitOfWork,
    after: str | None,
    limit: int,
    type: LocationType | None = None,
    can_pickup: bool | None = None,
) -> tuple[list[Location], bool]:
    """Locations by code (keyset pagination); True if more follow."""
    with uow:
        stmt = select(LocationRow).order_by(LocationRow.code).limit(limit + 1)
        if after is not None:
            stmt = stmt.where(LocationRow.code > after)
        if type is not None:
            stmt = stmt.where(LocationRow.type == type.value)
        if can_pickup is not None:
            stmt = stmt.where(LocationRow.can_pickup.is_(can_pickup))
        rows = list(uow.session.scalars(stmt))
        return [to_location(r) for r in rows[:limit]], len(rows) > limit


def locations_near(
    *,
    uow: UnitOfWork,
    lat: float,
    lon: float,
    radius_km: float,
    after: tuple[float, str] | None,
    limit: int,
    type: LocationType | None = None,
    can_pickup: bool | None = None,
) -> tuple[list[Near], bool]:
    """Locations within `radius_km` by great-circle distance, nearest first."""
    with uow:
        stmt = select(LocationRow).where(*in_box(bounding_box(lat, lon, radius_km)))
        if type is not None:
            stmt = stmt.where(LocationRow.type == type.value)
        if can_pickup is not None:
            stmt = stmt.where(LocationRow.can_pickup.is_(can_pickup))
        found = []
        for row in uow.session.scalars(stmt):
            assert row.lat is not None and row.lon is not None
            distance = round(haversine_km(lat, lon, row.lat, row.lon), 3)
            if distance <= radius_km and (after is None or (distance, row.code) > after):
                found.append(Near(to_location(row), distance))
    found.sort(key=lambda n: (n.distance_km, n.location.code))
    return found[:limit], len(found) > limit


def validate_channel_locations(
    session: Session, ship_from: Sequence[str], pickup_at: Sequence[str]
) -> list[dict[str, Any]]:
    """Field errors for a channel's location lists: each ship-from location must exist and
    be able to ship; each pickup location must exist and be a pickup point. For the channel
    service (catalog) to call inside its own transaction."""
    known = locations_by_code(session=session, codes=[*ship_from, *pickup_at])
    errors = []
    for i, code in enumerate(ship_from):
        location = known.get(code)
        if location is None:
            errors.append(field_error(f"body.ship_from.{i}", f"unknown location {code!r}"))
        elif not location.can_ship:
            message = f"{code!r} does not ship to customers"
            errors.append(field_error(f"body.ship_from.{i}", message))
    for i, code in enumerate(pickup_at):
        location = known.get(code)
        if location is None:
            errors.append(field_error(f"body.pickup_at.{i}", f"unknown location {code!r}"))
        elif not location.can_pickup:
            errors.append(field_error(f"body.pickup_at.{i}", f"{code!r} is not a pickup point"))
    return errors
