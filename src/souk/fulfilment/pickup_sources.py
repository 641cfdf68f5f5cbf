"""Where a click & collect store's missing units come from: the channel's network (its
ship-from and pickup locations, drop-ship vendors left out), nearest to the store first,
and by when a transfer would make them ready there. Reads only, in the caller's
transaction."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.routing_model import haversine_km
from souk.inventory.availability import available_at
from souk.inventory.models import Location
from souk.inventory.queries import locations_by_code
from souk.orders.placement import PickupSupply


@dataclass(frozen=True, slots=True)
class Source:
    location: str
    quantity: int
    distance_km: float


def distance_km(a: Location, b: Location) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return 0.0
    return float(haversine_km(a.lat, a.lon, [b.lat], [b.lon])[0])  # type: ignore[arg-type]


def transfer_sources(
    session: Session, *, channel: str, store: str, sku: str, quantity: int,
    exclude: Collection[str] = (),
) -> list[Source]:  # fmt: skip
    """Where `quantity` units of `sku` can come from, nearest to the store first.

    The network is the channel's ship-from and pickup locations, the store itself and
    `exclude` left out; drop-ship vendors do not transfer stock.
    """
    ch = get_channel(session=session, code=channel)
    network = _network(session, ch, store, exclude)
    if network is None:
        return []
    stock = available_at(session=session, skus=[sku], locations=[s.location for s in network])
    there = {s.location: stock.get((sku, s.location), 0) for s in network}
    return choose_sources(network, there, quantity)


def _network(
    session: Session, channel: Channel, store: str, exclude: Collection[str] = ()
) -> list[Source] | None:
    """The locations a store can be supplied from, nearest first (quantity 0); None if the
    store does not exist."""
    codes = [c for c in (*channel.ship_from, *channel.pickup_at) if c != store and c not in exclude]
    found = locations_by_code(session=session, codes=[store, *codes])
    if store not in found:
        return None
    here = found[store]
    return sorted(
        (
            Source(code, 0, distance_km(here, found[code]))
            for code in dict.fromkeys(codes)
            if code in found and found[code].type.value != "dropship"
        ),
        key=lambda s: s.distance_km,
    )


def choose_sources(network: list[Source], stock: dict[str, int], quantity: int) -> list[Source]:
    chosen, remaining = [], quantity
    for option in network:
        if remaining == 0:
            break
        take = min(remaining, stock.get(option.location, 0))
        if take > 0:
            chosen.append(Source(option.location, take, option.distance_km))
            remaining -= take
    return chosen


def supply_for_pickup(
    session: Session, *, channel: Channel, store: str, lines: Sequence[tuple[str, int]],
    config: RoutingConfig,
) -> list[PickupSupply]:  # fmt: skip
    """Where each (sku, quantity) of a pickup at `store` would come from — the store's own
    units first, then transfers, nearest first — in two queries for the whole cart. Lines
    of the same SKU share what there is, in order."""
    network = _network(session, channel, store) or []
    codes = [store, *(s.location for s in network)]
    stock = dict(available_at(session=session, skus={sku for sku, _ in lines}, locations=codes))
    now = utcnow()
    result = []
    for sku, quantity in lines:
        has = stock.get((sku, store), 0)
        here = min(quantity, has)
        elsewhere = {s.location: stock.get((sku, s.location), 0) for s in network}
        sources = choose_sources(network, elsewhere, quantity - here) if here < quantity else []
        covered = here + sum(s.quantity for s in sources) >= quantity
        stock[(sku, store)] = stock.get((sku, store), 0) - here
        for s in sources:
            stock[(sku, s.location)] -= s.quantity
        result.append(
            PickupSupply(
                sku=sku, quantity=quantity, store=store, at_store=here,
                sources=tuple((s.location, s.quantity) for s in sources),
                ready_at=estimated_ready(sources, config, now) if sources and covered else None,
                network=has + sum(elsewhere.values()),
            )
        )  # fmt: skip
    return result


def estimated_ready(sources: list[Source], config: RoutingConfig, now: datetime) -> datetime:
    farthest = max((s.distance_km for s in sources), default=0.0)
    hours = config.transfer_base_hours + config.transfer_hours_per_100km * farthest / 100
    return now + timedelta(hours=math.ceil(hours))
