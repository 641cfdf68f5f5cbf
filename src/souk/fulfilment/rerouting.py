"""A location rejects a fulfilment order (the item is damaged, not on the shelf): its units
go back to inventory there, a discrepancy asks that location for a count, and the lines are
routed again — to the next best location for delivery, or by transfer to the same store for
click & collect. Locations that already rejected lines of this order are not asked again.
When nothing can take the units, they are held and the order is flagged for a decision.
"""

from __future__ import annotations

from sqlalchemy import select

from souk.access.models import Principal
from souk.db.uow import UnitOfWork
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import Action, FoStatus, FoType
from souk.fulfilment.order_link import follow_fulfilment, order_to_route
from souk.fulfilment.pickup import route_pickup
from souk.fulfilment.reads import fo_read, load_fo
from souk.fulfilment.records import FoLineDraft, raise_discrepancy
from souk.fulfilment.schemas import FulfillmentOrderRead
from souk.fulfilment.sourcing import LineToRoute, route_delivery
from souk.fulfilment.tables import FulfillmentOrderRow, OrderRoutingRow
from souk.fulfilment.transitions import advance
from souk.inventory.reservations import deallocate


def reject(
    *, uow: UnitOfWork, principal: Principal, fo_id: str, reason: str, config: RoutingConfig
) -> FulfillmentOrderRead:
    with uow:
        session = uow.session
        fo = load_fo(session, fo_id, principal)
        advance(uow, fo, Action.REJECT)
        fo.reject_reason = reason
        to_route: list[LineToRoute] = []
        carried: list[FoLineDraft] = []
        for line in fo.lines:
            if line.allocation_id is None and line.transfer_id is not None:
                # Still on its way from elsewhere: the store's shelf is not the problem.
                carried.append(
                    FoLineDraft(
                        line.order_line_id, line.sku, line.quantity, None, line.transfer_id,
                        line.transfer_from,
                    )
                )  # fmt: skip
                continue
            if line.allocation_id is not None:
                deallocate(session=session, allocation_id=line.allocation_id)
            raise_discrepancy(
                session,
                location=fo.location,
                sku=line.sku,
                kind="rejected_pick",
                quantity=line.quantity,
                reference=fo.id,
                note=reason,
                emit=uow.emit,
            )
            to_route.append(LineToRoute(line.order_line_id, line.sku, line.quantity))
        refused = set(
            session.scalars(
                select(FulfillmentOrderRow.location).where(
                    FulfillmentOrderRow.order_id == fo.order_id,
                    FulfillmentOrderRow.status == FoStatus.REJECTED.value,
                )
            )
        ) | {fo.location}
        order = order_to_route(session, fo.order_id)
        if FoType(fo.type) is FoType.PICKUP:
            outcome = route_pickup(
                session, order=order, store=fo.location, config=config, emit=uow.emit,
                lines=to_route, exclude_sources=refused, rerouted_from=fo.id,
                use_store_stock=False, carry=carried,
            )  # fmt: skip
        else:
            outcome = route_delivery(
                session, order=order, config=config, emit=uow.emit, lines=to_route,
                exclude=refused, rerouted_from=fo.id,
            )  # fmt: skip
        if outcome.held_units:
            record = session.get(OrderRoutingRow, fo.order_id)
            if record is not None:
                record.status = "needs_decision"
        follow_fulfilment(session, order_id=fo.order_id, note=f"rejected at {fo.location}")
        result = fo_read(session, fo)
        uow.commit()
        return result
