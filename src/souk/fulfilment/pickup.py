"""Click & collect routing and the endless aisle, inside the caller's transaction.

A pickup order is always fulfilled at the chosen store. Units the store has are allocated
there; units it lacks are not refused: a transfer is requested from the nearest location
of the channel's network that has them (the transfer holds them at the source), and the
fulfilment order carries an estimated ready date. The store sees the incoming transfer on
its fulfilment order and in inventory's transfers; it makes the order ready once the
transfer is received (the units are then allocated at the store).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, OutOfStock
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import FoType
from souk.fulfilment.records import Emit, FoLineDraft, create_fulfillment_order, hold_units
from souk.fulfilment.routing_model import haversine_km
from souk.fulfilment.schemas import PickupProposalRead
from souk.fulfilment.sourcing import LineToRoute, OrderToRoute, Outcome
from souk.inventory.availability import available_at
from souk.inventory.models import Location
from souk.inventory.queries import locations_by_code
from souk.inventory.reservations import allocate_direct, deallocate
from souk.inventory.transfers import request_transfer_in


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
    codes = [c for c in (*ch.ship_from, *ch.pickup_at) if c != store and c not in exclude]
    found = locations_by_code(session=session, codes=[store, *codes])
    if store not in found:
        return []
    here = found[store]
    stock = available_at(session=session, skus=[sku], locations=codes)
    options = sorted(
        (
            Source(code, stock.get((sku, code), 0), distance_km(here, found[code]))
            for code in dict.fromkeys(codes)
            if code in found and found[code].type.value != "dropship"
        ),
        key=lambda s: s.distance_km,
    )
    chosen, remaining = [], quantity
    for option in options:
        if remaining == 0:
            break
        take = min(remaining, option.quantity)
        if take > 0:
            chosen.append(Source(option.location, take, option.distance_km))
            remaining -= take
    return chosen


def estimated_ready(sources: list[Source], config: RoutingConfig, now: datetime) -> datetime:
    farthest = max((s.distance_km for s in sources), default=0.0)
    hours = config.transfer_base_hours + config.transfer_hours_per_100km * farthest / 100
    return now + timedelta(hours=math.ceil(hours))


def route_pickup(
    session: Session,
    *,
    order: OrderToRoute,
    store: str,
    config: RoutingConfig,
    emit: Emit,
    lines: list[LineToRoute] | None = None,
    exclude_sources: Collection[str] = (),
    rerouted_from: str | None = None,
    use_store_stock: bool = True,
    carry: Sequence[FoLineDraft] = (),
) -> Outcome:
    """Everything to `store`: its own units, or a transfer from elsewhere. `carry` are lines
    of a rejected fulfilment order that keep their incoming transfer."""
    lines = list(order.lines) if lines is None else lines
    now = utcnow()
    drafts: list[FoLineDraft] = list(carry)
    sources_used: list[Source] = []
    outcome = Outcome()
    for line in lines:
        need = line.quantity
        for held in line.allocations:
            take = min(need, held.quantity) if held.location == store else 0
            if take:
                drafts.append(FoLineDraft(line.line_id, line.sku, take, held.id))
                need -= take
            if held.quantity > take:
                # Held elsewhere (or more than needed): give it back; a transfer may take it.
                deallocate(session=session, allocation_id=held.id, quantity=held.quantity - take)
        if need and use_store_stock:
            try:
                with session.begin_nested():
                    made = allocate_direct(
                        session=session, sku=line.sku, location=store, quantity=need,
                        reference=order.id,
                    )  # fmt: skip
                drafts.append(FoLineDraft(line.line_id, line.sku, need, made.id))
                need = 0
            except OutOfStock:
                pass
        if need:
            sources = transfer_sources(
                session, channel=order.channel, store=store, sku=line.sku, quantity=need,
                exclude=exclude_sources,
            )  # fmt: skip
            for source in sources:
                transfer = request_transfer_in(
                    session=session, sku=line.sku, from_location=source.location,
                    to_location=store, quantity=source.quantity, reference=order.id,
                )  # fmt: skip
                drafts.append(
                    FoLineDraft(
                        line.line_id, line.sku, source.quantity, None, transfer.id,
                        source.location,
                    )
                )  # fmt: skip
                sources_used.append(source)
                need -= source.quantity
        if need:
            hold_units(
                session,
                order_id=order.id,
                order_line_id=line.line_id,
                sku=line.sku,
                quantity=need,
                reason=f"neither {store} nor any location of the channel has these units",
                emit=emit,
            )
            outcome.held_units += need
    if drafts:
        outcome.fulfillment_orders.append(
            create_fulfillment_order(
                session,
                order_id=order.id,
                channel=order.channel,
                location=store,
                fo_type=FoType.PICKUP,
                lines=drafts,
                emit=emit,
                rerouted_from=rerouted_from,
                estimated_ready_at=estimated_ready(sources_used, config, now)
                if sources_used
                else None,
            )
        )
    return outcome


def propose(
    *, uow: UnitOfWork, channel: str, store: str, sku: str, quantity: int, config: RoutingConfig
) -> PickupProposalRead:
    """What click & collect at `store` would mean for `quantity` × `sku`: ready now, ready
    after a transfer (from where, by when), or not possible — before the customer orders."""
    with uow:
        session = uow.session
        if store not in locations_by_code(session=session, codes=[store]):
            raise NotFound(f"No location {store!r}")
        here = available_at(session=session, skus=[sku], locations=[store]).get((sku, store), 0)
        if here >= quantity:
            return PickupProposalRead(
                location=store, sku=sku, quantity=quantity, available_at_store=here,
                transfers=[], ready="now", estimated_ready_at=None,
            )  # fmt: skip
        sources = transfer_sources(
            session, channel=channel, store=store, sku=sku, quantity=quantity - here
        )
        enough = sum(s.quantity for s in sources) == quantity - here
        return PickupProposalRead(
            location=store,
            sku=sku,
            quantity=quantity,
            available_at_store=here,
            transfers=[{"from": s.location, "quantity": s.quantity} for s in sources]
            if enough
            else [],
            ready="after_transfer" if enough else "unavailable",
            estimated_ready_at=estimated_ready(sources, config, utcnow()) if enough else None,
        )
