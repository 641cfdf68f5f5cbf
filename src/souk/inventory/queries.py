"""How other domains read locations, inside their own transaction (never committing)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from souk.db.reference import LOCATIONS
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.inventory.models import Address, BoundingBox, Location, LocationType
from souk.inventory.tables import LocationRow, stock_levels


def to_location(row: LocationRow) -> Location:
    return Location(
        code=row.code,
        name=row.name,
        type=LocationType(row.type),
        country=row.country,
        lat=row.lat,
        lon=row.lon,
        timezone=row.timezone,
        can_ship=row.can_ship,
        can_pickup=row.can_pickup,
        accepts_returns=row.accepts_returns,
        daily_capacity=row.daily_capacity,
        address=Address(
            line1=row.line1, city=row.city, postal_code=row.postal_code, country=row.country
        ),
    )


def get_location(*, session: Session, code: str) -> Location:
    row = session.scalar(select(LocationRow).where(LocationRow.code == code))
    if row is None:
        raise NotFound(f"No location {code!r}")
    return to_location(row)


# Built once: routing and every reservation look locations up by code.
_BY_CODE = select(LocationRow).where(LocationRow.code.in_(bindparam("codes", expanding=True)))
_IDS = select(LocationRow.code, LocationRow.id).where(
    LocationRow.code.in_(bindparam("codes", expanding=True))
)


def locations_by_code(*, session: Session, codes: Collection[str]) -> dict[str, Location]:
    """The locations among `codes` that exist; a missing code is simply absent."""
    if not codes:
        return {}
    rows = session.scalars(_BY_CODE, {"codes": list(set(codes))})
    return {row.code: to_location(row) for row in rows}


def reference_locations(*, session: Session, codes: Collection[str]) -> dict[str, Location]:
    """As `locations_by_code`, from the process's reference cache (souk.db.reference): for
    routing, which reads the channel's locations for every order. A location changed in
    another process is seen up to SOUK_REFERENCE_CACHE_MS late; admin reads never use it."""
    wanted = frozenset(codes)
    found = LOCATIONS.get(session, wanted, lambda: locations_by_code(session=session, codes=wanted))
    return dict(found)


def location_ids(*, session: Session, codes: Collection[str]) -> dict[str, int]:
    if not codes:
        return {}
    return as_dict(session.execute(_IDS, {"codes": list(set(codes))}))


def as_dict(rows: Any) -> dict[Any, Any]:
    """Two-column rows as a dict. (A Result has `.keys()`, its column names, so `dict(result)`
    would read it as a mapping.)"""
    return {row[0]: row[1] for row in rows}


def variants_with_stock(session: Session, variant_ids: Collection[int]) -> set[int]:
    """The variants among `variant_ids` that have stock rows (hence a ledger): the catalog
    must not delete those (registered in `souk.wiring`; added by the catalog engineer)."""
    if not variant_ids:
        return set()
    rows = session.scalars(
        select(stock_levels.c.variant_id)
        .where(stock_levels.c.variant_id.in_(list(variant_ids)))
        .distinct()
    )
    return set(rows)


def location_exists(uow: UnitOfWork, code: str) -> bool:
    """For API-key binding checks (registered in `souk.wiring`)."""
    return uow.session.scalar(select(LocationRow.id).where(LocationRow.code == code)) is not None


def in_box(box: BoundingBox) -> list[ColumnElement[bool]]:
    """Conditions that keep the locations inside `box`: a range scan on (lat, lon)."""
    conditions: list[ColumnElement[bool]] = [LocationRow.lat.between(box.min_lat, box.max_lat)]
    ranges = [LocationRow.lon.between(lo, hi) for lo, hi in box.lon_ranges]
    if len(ranges) == 1:
        conditions.append(ranges[0])
    elif ranges:
        conditions.append(or_(*ranges))
    else:
        conditions.append(LocationRow.lon.is_not(None))
    return [and_(*conditions)]
