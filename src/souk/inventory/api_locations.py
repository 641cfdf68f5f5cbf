"""Locations (admin): create, read, change, list — and list near a point by distance."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from souk.api.auth import AdminDep, AdminOrPosDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from souk.api.problems import PROBLEM_RESPONSES
from souk.errors import ValidationFailed, field_error
from souk.inventory import locations as service
from souk.inventory.models import Location, LocationType
from souk.inventory.schemas import (
    CodePath,
    LocationAddressRead,
    LocationCreate,
    LocationRead,
    LocationUpdate,
)

router = APIRouter(prefix="/v1/locations", tags=["locations"], responses=PROBLEM_RESPONSES)


def location_read(location: Location, distance_km: float | None = None) -> LocationRead:
    address = location.address
    return LocationRead(
        code=location.code,
        name=location.name,
        type=location.type,
        address=LocationAddressRead(
            line1=address.line1,
            city=address.city,
            postal_code=address.postal_code,
            country=location.country,
        ),
        lat=location.lat,
        lon=location.lon,
        timezone=location.timezone,
        can_ship=location.can_ship,
        can_pickup=location.can_pickup,
        accepts_returns=location.accepts_returns,
        daily_capacity=location.daily_capacity,
        distance_km=distance_km,
    )


def _columns(data: LocationCreate | LocationUpdate) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=True, exclude={"code", "address"})
    if data.address is not None:
        values.update(data.address.model_dump())
    return values


@router.post("", status_code=201, response_model=LocationRead)
def create_location(data: LocationCreate, uow: UowDep, _: AdminDep) -> LocationRead:
    values = data.model_dump(exclude={"code", "address"})
    values.update(data.address.model_dump())
    return location_read(service.create_location(uow=uow, code=data.code, values=values))


def _near(value: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = value.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        lat = lon = float("nan")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed(
            "`near` is LAT,LON in degrees",
            errors=[field_error("query.near", "expected LAT,LON, e.g. 48.8566,2.3522")],
        )
    return lat, lon


@router.get("", response_model=Page[LocationRead])
def list_locations(
    uow: ReadUowDep,
    _: AdminOrPosDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    near: Annotated[
        str | None, Query(max_length=60, description="LAT,LON: sort by distance from here")
    ] = None,
    radius_km: Annotated[float, Query(gt=0, le=20_000)] = 50,
    type: LocationType | None = None,
    can_pickup: bool | None = None,
) -> Page[LocationRead]:
    key = decode_cursor(cursor)
    if near is None:
        after = str(key[0]) if key else None
        found, more = service.list_locations(
            uow=uow, after=after, limit=limit, type=type, can_pickup=can_pickup
        )
        data = [location_read(loc) for loc in found]
        last: list[str | float] | None = [found[-1].code] if more and found else None
    else:
        lat, lon = _near(near)
        start = (float(key[0]), str(key[1])) if key and len(key) == 2 else None
        near_found, more = service.locations_near(
            uow=uow,
            lat=lat,
            lon=lon,
            radius_km=radius_km,
            after=start,
            limit=limit,
            type=type,
            can_pickup=can_pickup,
        )
        data = [location_read(n.location, n.distance_km) for n in near_found]
        tail = near_found[-1] if near_found else None
        last = [tail.distance_km, tail.location.code] if more and tail else None
    return Page(data=data, next_cursor=encode_cursor(last) if last else None)


@router.get("/{code}", response_model=LocationRead)
def get_location(code: CodePath, uow: ReadUowDep, _: AdminOrPosDep) -> LocationRead:
    return location_read(service.read_location(uow=uow, code=code))


@router.patch("/{code}", response_model=LocationRead)
def update_location(code: CodePath, data: LocationUpdate, uow: UowDep, _: AdminDep) -> LocationRead:
    return location_read(service.update_location(uow=uow, code=code, changes=_columns(data)))
