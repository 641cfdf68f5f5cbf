"""Storefront availability (X-Publishable-Key) and channel buffers (admin)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query

from souk.api.auth import AdminDep, StorefrontDep
from souk.api.deps import ReadUowDep, StaleReadUowDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.channels.queries import get_channel
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.inventory import availability, buffers
from souk.inventory.schemas import (
    SKU_PATTERN,
    AvailabilityQuery,
    AvailabilityRead,
    BufferRuleIn,
    BuffersIn,
    BuffersRead,
    BulkAvailabilityRead,
    CodePath,
    NearbyRead,
    ProductBufferRead,
    SkuQuery,
)

router = APIRouter(tags=["availability"], responses=PROBLEM_RESPONSES)
_SKU = re.compile(SKU_PATTERN)


def _bulk(uow: UnitOfWork, channel: str, skus: list[str]) -> BulkAvailabilityRead:
    # A string that cannot be a SKU is simply unknown (and never reaches the database).
    wellformed = [sku for sku in skus if _SKU.match(sku)]
    with uow:
        found = get_channel(session=uow.session, code=channel)
        atp = availability.atp(session=uow.session, channel=found, skus=wellformed)
    ordered = list(dict.fromkeys(skus))
    return BulkAvailabilityRead(
        channel=channel,
        data=[
            AvailabilityRead(sku=s, channel=channel, available=atp[s]) for s in ordered if s in atp
        ],
        unknown=[s for s in ordered if s not in atp],
    )


@router.get("/v1/availability", response_model=AvailabilityRead)
def get_availability(
    sku: SkuQuery, uow: StaleReadUowDep, principal: StorefrontDep
) -> AvailabilityRead:
    """ATP of one SKU in the key's channel: its ship-from locations, less its buffer."""
    assert principal.channel is not None
    result = _bulk(uow, principal.channel, [sku])
    if not result.data:
        raise NotFound(f"No SKU {sku!r}")
    return result.data[0]


@router.get("/v1/availability/bulk", response_model=BulkAvailabilityRead)
def get_bulk_availability(
    uow: StaleReadUowDep,
    principal: StorefrontDep,
    sku: Annotated[list[str], Query(min_length=1, max_length=200)],
) -> BulkAvailabilityRead:
    """ATP of many SKUs in one call (`?sku=A&sku=B`), in two queries whatever their number."""
    assert principal.channel is not None
    return _bulk(uow, principal.channel, sku)


@router.post("/v1/availability/query", response_model=BulkAvailabilityRead)
def query_availability(
    data: AvailabilityQuery, uow: StaleReadUowDep, principal: StorefrontDep
) -> BulkAvailabilityRead:
    """The same as `/bulk` for lists too long for a URL."""
    assert principal.channel is not None
    return _bulk(uow, principal.channel, data.skus)


@router.get("/v1/availability/nearby", response_model=list[NearbyRead])
def get_nearby(
    sku: SkuQuery,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    uow: StaleReadUowDep,
    principal: StorefrontDep,
    radius_km: Annotated[float, Query(gt=0, le=1000)] = 25,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[NearbyRead]:
    """The channel's pickup stores within `radius_km`, nearest first, with availability."""
    assert principal.channel is not None
    stores = availability.nearby(
        uow=uow,
        channel=principal.channel,
        sku=sku,
        lat=lat,
        lon=lon,
        radius_km=radius_km,
        limit=limit,
    )
    return [
        NearbyRead(
            location=s.location, name=s.name, distance_km=s.distance_km, available=s.available
        )
        for s in stores
    ]


def _buffers_read(found: buffers.Buffers) -> BuffersRead:
    default = found.default or buffers.BufferRule()
    return BuffersRead(
        channel=found.channel,
        units=default.units,
        percent=default.percent,
        products=[
            ProductBufferRead(handle=handle, units=rule.units, percent=rule.percent)
            for handle, rule in found.products.items()
        ],
    )


def _rule(data: BufferRuleIn) -> buffers.BufferRule | None:
    if data.units is None and data.percent is None:
        return None
    return buffers.BufferRule(data.units, data.percent)


@router.put("/v1/channels/{code}/buffers", response_model=BuffersRead, tags=["channels"])
def put_buffers(code: CodePath, data: BuffersIn, uow: UowDep, _: AdminDep) -> BuffersRead:
    """Replace the channel's buffers: `units` or `percent` withheld from every product's ATP,
    and per-product overrides."""
    found = buffers.set_buffers(
        uow=uow,
        channel=code,
        default=_rule(data),
        products=[(p.handle, buffers.BufferRule(p.units, p.percent)) for p in data.products],
    )
    return _buffers_read(found)


@router.get("/v1/channels/{code}/buffers", response_model=BuffersRead, tags=["channels"])
def get_buffers(code: CodePath, uow: ReadUowDep, _: AdminDep) -> BuffersRead:
    return _buffers_read(buffers.get_buffers(uow=uow, channel=code))
