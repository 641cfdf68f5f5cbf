"""Availability: ATP per channel, per location, and "in a store near me".

Every reader counts expired reservations as free (`stock.expired_held`) and shows
available never below zero, per location, before summing: a store that sold more than it
had (POS offline) does not hide another location's stock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from souk.catalog.tables import VariantRow
from souk.channels.models import Channel
from souk.channels.tables import ChannelLocationRow, ChannelRow
from souk.db.base import table_of, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.inventory.models import StockFigures, bounding_box, haversine_km, withheld
from souk.inventory.queries import in_box
from souk.inventory.stock import expired_held, lines_t, stock_t
from souk.inventory.tables import ChannelBufferRow, LocationRow


def _figures(
    on_hand: int | None, reserved: int, allocated: int, safety: int, inbound: int, expired: int
) -> StockFigures:
    """Figures of an outer-joined stock row (None: no row yet, all zero)."""
    if on_hand is None:
        return StockFigures()
    return StockFigures(on_hand, reserved - int(expired or 0), allocated, safety, inbound)


# The hot statements below are Core, on the tables: a statement naming ORM entities goes
# through the ORM's result machinery, which cost more than the statement itself.
_variants, _locations = table_of(VariantRow), table_of(LocationRow)
_buffers = table_of(ChannelBufferRow)


def _atp_statement() -> Any:
    """Stock over the ship-from locations and the channel's buffers (the product's own, and
    the channel-wide one: each unique, so each outer join adds at most one row), in one
    statement built once: ATP is read by every catalog page and every cart change."""
    own = _buffers.alias("own_buffer")
    everything = _buffers.alias("channel_buffer")
    channel: BindParameter[str] = bindparam("channel")
    ship_from = select(_locations.c.id).where(
        _locations.c.code.in_(bindparam("ship_from", expanding=True))
    )
    return (
        select(
            _variants.c.sku,
            stock_t.c.on_hand,
            stock_t.c.reserved,
            stock_t.c.allocated,
            stock_t.c.safety_stock,
            stock_t.c.inbound,
            expired_held(bindparam("now", type_=lines_t.c.expires_at.type)),
            own.c.id,
            own.c.units,
            own.c.percent,
            everything.c.units,
            everything.c.percent,
        )
        .select_from(_variants)
        .outerjoin(
            stock_t,
            and_(stock_t.c.variant_id == _variants.c.id, stock_t.c.location_id.in_(ship_from)),
        )
        .outerjoin(own, and_(own.c.channel == channel, own.c.product_id == _variants.c.product_id))
        .outerjoin(
            everything, and_(everything.c.channel == channel, everything.c.product_id.is_(None))
        )
        .where(_variants.c.sku.in_(bindparam("skus", expanding=True)))
    )


_ATP = _atp_statement()


def atp(
    *, session: Session, channel: Channel, skus: Collection[str], now: datetime | None = None
) -> dict[str, int]:
    """Available to promise in `channel`: the sum over its ship-from locations, less its
    buffer. One statement for any number of SKUs; an unknown SKU is absent."""
    if not skus:
        return {}
    params = {
        "channel": channel.code,
        "ship_from": list(channel.ship_from),
        "skus": sorted(set(skus)),
        "now": now or utcnow(),
    }
    totals: dict[str, int] = {}
    rules: dict[str, tuple[int | None, Any]] = {}
    for sku, *rest in session.execute(_ATP, params):
        figures, (own, units, percent, all_units, all_percent) = rest[:6], rest[6:]
        totals[sku] = totals.get(sku, 0) + _figures(*figures).available
        # The product's own buffer, else the channel's, else none.
        rules[sku] = (units, percent) if own is not None else (all_units, all_percent)
    result = {}
    for sku, total in totals.items():
        units, percent = rules[sku]
        result[sku] = total - withheld(total, units=units, percent=percent)
    return result


def available_at(
    *,
    session: Session,
    skus: Collection[str],
    locations: Collection[str],
    now: datetime | None = None,
) -> dict[tuple[str, str], int]:
    """Available per (sku, location code), never below zero; unknown SKUs or locations are
    absent, a known pair without stock is 0."""
    figures = figures_at(session=session, skus=skus, locations=locations, now=now)
    return {pair: f.available for pair, f in figures.items()}


def figures_at(
    *,
    session: Session,
    skus: Collection[str],
    locations: Collection[str],
    now: datetime | None = None,
) -> dict[tuple[str, str], StockFigures]:
    """All figures per (sku, location code), in one query; as `available_at`."""
    if not skus or not locations:
        return {}
    params = {"codes": list(set(locations)), "skus": list(set(skus)), "now": now or utcnow()}
    rows = session.execute(_FIGURES_AT, params).all()
    return {(sku, code): _figures(*figures) for sku, code, *figures in rows}


def _figure_columns(now: datetime | BindParameter[datetime]) -> tuple[Any, ...]:
    """The columns `_figures` takes, in its order."""
    return (
        stock_t.c.on_hand,
        stock_t.c.reserved,
        stock_t.c.allocated,
        stock_t.c.safety_stock,
        stock_t.c.inbound,
        expired_held(now),
    )


# Built once: routing reads it for every order, a pickup cart on every read.
_FIGURES_AT = (
    select(
        _variants.c.sku,
        _locations.c.code,
        *_figure_columns(bindparam("now", type_=lines_t.c.expires_at.type)),
    )
    .select_from(_variants)
    .join(_locations, _locations.c.code.in_(bindparam("codes", expanding=True)))
    .outerjoin(
        stock_t,
        and_(stock_t.c.variant_id == _variants.c.id, stock_t.c.location_id == _locations.c.id),
    )
    .where(_variants.c.sku.in_(bindparam("skus", expanding=True)))
)


@dataclass(frozen=True, slots=True)
class LocationStock:
    location: str
    figures: StockFigures


def stock_of(*, uow: UnitOfWork, sku: str, location: str | None = None) -> list[LocationStock]:
    """Every location's figures for one SKU (GET /v1/inventory/{sku})."""
    with uow:
        variant_id = uow.session.scalar(select(VariantRow.id).where(VariantRow.sku == sku))
        if variant_id is None:
            raise NotFound(f"No SKU {sku!r}")
        stmt = (
            select(LocationRow.code, *_figure_columns(utcnow()))
            .join(LocationRow, LocationRow.id == stock_t.c.location_id)
            .where(stock_t.c.variant_id == variant_id)
            .order_by(LocationRow.code)
        )
        if location is not None:
            stmt = stmt.where(LocationRow.code == location)
        return [LocationStock(code, _figures(*rest)) for code, *rest in uow.session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class NearbyStore:
    location: str
    name: str
    distance_km: float
    available: int


def nearby(
    *,
    uow: UnitOfWork,
    channel: str,
    sku: str,
    lat: float,
    lon: float,
    radius_km: float,
    limit: int = 50,
) -> list[NearbyStore]:
    """The channel's pickup stores within `radius_km`, nearest first, with availability.

    The channel's `pickup_at` list if it names any; a channel that names none offers every
    location that can be a pickup point (a retailer with thousands of stores need not list
    them). One query: a bounding box on the (lat, lon) index narrows thousands of stores to
    a few, the pickup list is checked in SQL rather than loaded whole, then the exact
    great-circle distance filters and sorts them.
    """
    now = utcnow()
    box = bounding_box(lat, lon, radius_km)
    with uow:
        variant_id = uow.session.scalar(select(VariantRow.id).where(VariantRow.sku == sku))
        if variant_id is None:
            raise NotFound(f"No SKU {sku!r}")
        stmt = (
            select(
                LocationRow.code,
                LocationRow.name,
                LocationRow.lat,
                LocationRow.lon,
                *_figure_columns(now),
            )
            .select_from(LocationRow)
            .outerjoin(
                stock_t,
                and_(stock_t.c.location_id == LocationRow.id, stock_t.c.variant_id == variant_id),
            )
            .where(LocationRow.can_pickup.is_(True), *in_box(box), _offered_by(channel))
        )
        stores = []
        for code, name, s_lat, s_lon, *figures in uow.session.execute(stmt):
            distance = haversine_km(lat, lon, s_lat, s_lon)
            if distance <= radius_km:
                available = _figures(*figures).available
                stores.append(NearbyStore(code, name, round(distance, 3), available))
    stores.sort(key=lambda s: (s.distance_km, s.location))
    return stores[:limit]


def _offered_by(channel: str) -> ColumnElement[bool]:
    """The location is in the channel's pickup list, or the channel has no list."""
    channel_id = select(ChannelRow.id).where(ChannelRow.code == channel).scalar_subquery()
    pickup = select(ChannelLocationRow.id).where(
        ChannelLocationRow.channel_id == channel_id, ChannelLocationRow.role == "pickup"
    )
    listed = pickup.where(ChannelLocationRow.location_code == LocationRow.code)
    return or_(~pickup.exists(), listed.exists())
