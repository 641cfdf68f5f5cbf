"""Reading fulfilment orders: a location's work queue, one fulfilment order, an order's
fulfilment orders (for the orders domain), holds and discrepancies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from souk.access.models import Principal, Role
from souk.api.pagination import decode_cursor, encode_cursor
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, NotFound
from souk.fulfilment.schemas import (
    DiscrepancyRead,
    FulfillmentHoldRead,
    FulfillmentLineRead,
    FulfillmentOrderRead,
    IncomingTransferRead,
    ShipmentRead,
    TrackingEventRead,
)
from souk.fulfilment.tables import (
    FulfillmentHoldRow,
    FulfillmentOrderRow,
    ShipmentRow,
    StockDiscrepancyRow,
)
from souk.inventory.transfers import get_transfer


def shipment_read(row: ShipmentRow) -> ShipmentRead:
    return ShipmentRead(
        id=row.id,
        fulfillment_order_id=row.fulfillment_order_id,
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        status=row.status,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        events=[
            TrackingEventRead(
                event_id=e.carrier_event_id,
                status=e.status,
                description=e.description,
                location=e.location,
                occurred_at=e.occurred_at,
            )
            for e in row.events
        ],
    )


def fo_read(session: Session, row: FulfillmentOrderRow) -> FulfillmentOrderRead:
    lines = []
    for line in row.lines:
        incoming = None
        if line.transfer_id:
            transfer = get_transfer(session=session, transfer_id=line.transfer_id)
            incoming = IncomingTransferRead(
                id=transfer.id, from_location=transfer.from_location, status=transfer.status
            )
        lines.append(
            FulfillmentLineRead(
                sku=line.sku,
                quantity=line.quantity,
                order_line_id=line.order_line_id,
                allocation_id=line.allocation_id,
                incoming_transfer=incoming,
            )
        )
    return FulfillmentOrderRead(
        id=row.id,
        order_id=row.order_id,
        channel=row.channel,
        location=row.location,
        type=row.type,
        status=row.status,
        lines=lines,
        shipments=[shipment_read(s) for s in row.shipments],
        estimated_ready_at=row.estimated_ready_at,
        rerouted_from=row.rerouted_from,
        rerouted_to=list(
            session.scalars(
                select(FulfillmentOrderRow.id)
                .where(FulfillmentOrderRow.rerouted_from == row.id)
                .order_by(FulfillmentOrderRow.id)
            )
        )
        if row.status == "rejected"
        else [],
        reject_reason=row.reject_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _with_children() -> Any:
    return (
        selectinload(FulfillmentOrderRow.lines),
        selectinload(FulfillmentOrderRow.shipments).selectinload(ShipmentRow.events),
    )


def check_location(principal: Principal, location: str) -> None:
    """A POS key acts only for its own store."""
    if principal.role is Role.POS and principal.location != location:
        raise Forbidden(f"This POS key acts for {principal.location}, not for {location}")


def load_fo(
    session: Session, fo_id: str, principal: Principal | None = None
) -> FulfillmentOrderRow:
    row = session.scalar(
        select(FulfillmentOrderRow)
        .where(FulfillmentOrderRow.id == fo_id)
        .options(*_with_children())
    )
    if row is None:
        raise NotFound(f"No fulfilment order {fo_id!r}")
    if principal is not None:
        check_location(principal, row.location)
    return row


def get_fulfillment_order(
    *, uow: UnitOfWork, principal: Principal, fo_id: str
) -> FulfillmentOrderRead:
    with uow:
        return fo_read(uow.session, load_fo(uow.session, fo_id, principal))


def work_queue(
    *,
    uow: UnitOfWork,
    principal: Principal,
    location: str | None,
    status: str | None,
    order_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[FulfillmentOrderRead], str | None]:
    """Oldest first: the order in which a location should work through them."""
    if principal.role is Role.POS:
        location = location or principal.location
        check_location(principal, location or "")
    with uow:
        stmt = select(FulfillmentOrderRow).options(*_with_children())
        if location:
            stmt = stmt.where(FulfillmentOrderRow.location == location)
        if status:
            stmt = stmt.where(FulfillmentOrderRow.status == status)
        if order_id:
            stmt = stmt.where(FulfillmentOrderRow.order_id == order_id)
        after = decode_cursor(cursor)
        if after:
            stmt = stmt.where(FulfillmentOrderRow.id > str(after[0]))
        rows = list(uow.session.scalars(stmt.order_by(FulfillmentOrderRow.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        data = [fo_read(uow.session, r) for r in rows]
        return data, encode_cursor([rows[-1].id]) if more else None


def fulfillment_orders_of(session: Session, order_id: str) -> list[dict[str, Any]]:
    """For the orders domain's order view (registered in wiring)."""
    rows = session.scalars(
        select(FulfillmentOrderRow)
        .where(FulfillmentOrderRow.order_id == order_id)
        .options(*_with_children())
        .order_by(FulfillmentOrderRow.id)
    )
    return fo_views(session, rows)


def fo_views(session: Session, rows: Iterable[FulfillmentOrderRow]) -> list[dict[str, Any]]:
    """Fulfilment orders as the order view shows them (no pickup code)."""
    return [
        fo_read(session, r).model_dump(mode="json", by_alias=True, exclude={"pickup_code"})
        for r in rows
    ]


def list_holds(
    *, uow: UnitOfWork, status: str | None, order_id: str | None
) -> list[FulfillmentHoldRead]:
    with uow:
        stmt = select(FulfillmentHoldRow).order_by(FulfillmentHoldRow.id)
        if status:
            stmt = stmt.where(FulfillmentHoldRow.status == status)
        if order_id:
            stmt = stmt.where(FulfillmentHoldRow.order_id == order_id)
        return [
            FulfillmentHoldRead.model_validate(r, from_attributes=True)
            for r in uow.session.scalars(stmt)
        ]


def list_discrepancies(
    *, uow: UnitOfWork, principal: Principal, location: str | None, status: str | None
) -> list[DiscrepancyRead]:
    if principal.role is Role.POS:
        location = location or principal.location
        check_location(principal, location or "")
    with uow:
        stmt = select(StockDiscrepancyRow).order_by(StockDiscrepancyRow.id)
        if location:
            stmt = stmt.where(StockDiscrepancyRow.location == location)
        if status:
            stmt = stmt.where(StockDiscrepancyRow.status == status)
        return [
            DiscrepancyRead.model_validate(r, from_attributes=True)
            for r in uow.session.scalars(stmt)
        ]
