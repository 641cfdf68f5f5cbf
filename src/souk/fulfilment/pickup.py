"""Click & collect routing and the endless aisle, inside the caller's transaction.

A pickup order is always fulfilled at the chosen store. Units the store has are allocated
there; units it lacks are not refused: a transfer is requested from the nearest location
of the channel's network that has them (the transfer holds them at the source), and the
fulfilment order carries an estimated ready date. The store sees the incoming transfer on
its fulfilment order and in inventory's transfers; it makes the order ready once the
transfer is received (the units are then allocated at the store).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, OutOfStock
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import FoType
from souk.fulfilment.pickup_sources import Source, distance_km, estimated_ready, transfer_sources
from souk.fulfilment.records import Emit, FoLineDraft, create_fulfillment_order, hold_units
from souk.fulfilment.schemas import PickupProposalRead
from souk.fulfilment.sourcing import LineToRoute, OrderToRoute, Outcome
from souk.inventory.availability import available_at
from souk.inventory.queries import locations_by_code
from souk.inventory.reservations import allocate_direct, deallocate
from souk.inventory.transfers import Transfer, request_transfer_in


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
            moved = min(need, held.quantity) if held.location != store else 0
            if moved and held.location not in exclude_sources:
                # Checkout sourced these units there for this very store (endless aisle):
                # the units just given back become the transfer's, in this transaction, so
                # nobody can take them in between.
                transfer = _transfer(session, line.sku, held.location, store, moved, order.id)
                if transfer is not None:
                    drafts.append(
                        FoLineDraft(line.line_id, line.sku, moved, None, transfer.id, held.location)
                    )
                    sources_used.append(Source(held.location, moved, -1.0))
                    need -= moved
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
                estimated_ready_at=estimated_ready(
                    _with_distances(session, store, sources_used), config, now
                )
                if sources_used
                else None,
            )
        )
    return outcome


def _transfer(
    session: Session, sku: str, source: str, store: str, quantity: int, reference: str
) -> Transfer | None:
    try:
        with session.begin_nested():
            return request_transfer_in(
                session=session, sku=sku, from_location=source, to_location=store,
                quantity=quantity, reference=reference,
            )  # fmt: skip
    except OutOfStock:
        return None


def _with_distances(session: Session, store: str, sources: list[Source]) -> list[Source]:
    """Sources from checkout's allocations come without a distance (-1): look them up."""
    unknown = {s.location for s in sources if s.distance_km < 0}
    if not unknown:
        return sources
    found = locations_by_code(session=session, codes={store, *unknown})
    if store not in found:
        return sources
    return [
        Source(s.location, s.quantity, distance_km(found[store], found[s.location]))
        if s.distance_km < 0 and s.location in found
        else s
        for s in sources
    ]


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
