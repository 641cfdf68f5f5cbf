"""Moving a fulfilment order through its states (each a use case: one unit of work).

Shipping or collecting is where units physically leave: the allocations are consumed
(on hand and allocated both fall, a `sale` movement is written), the payment for those
units is captured and the order's status follows, all in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import update

from souk.access.models import Principal
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, OutOfStock, ValidationFailed, field_error
from souk.fulfilment.models import (
    Action,
    FoStatus,
    FoType,
    hash_pickup_code,
    new_pickup_code,
    next_status,
    pickup_code_matches,
)
from souk.fulfilment.order_link import capture_handed_over, follow_fulfilment
from souk.fulfilment.reads import fo_read, load_fo
from souk.fulfilment.release import ensure_released
from souk.fulfilment.schemas import FulfillmentOrderRead
from souk.fulfilment.tables import FulfillmentOrderRow, ShipmentRow
from souk.inventory.models import TransferStatus
from souk.inventory.reservations import allocate_direct, consume_allocation
from souk.inventory.transfers import get_transfer

MAX_PICKUP_CODE_FAILURES = 5
# What moves units towards the customer; rejecting or cancelling stays possible on a held order.
FORWARD = frozenset({Action.ACCEPT, Action.PACK, Action.SHIP, Action.READY, Action.COLLECT})


def advance(
    uow: UnitOfWork, fo: FulfillmentOrderRow, action: Action, *, announce: bool = True
) -> FoStatus:
    """Apply the transition with a guard on the status read, so that two staff members
    pressing two buttons at once cannot both succeed."""
    before = FoStatus(fo.status)
    after = next_status(FoType(fo.type), before, action)
    if action in FORWARD:
        ensure_released(uow.session, fo.order_id)
    now = utcnow()
    moved = uow.session.execute(
        update(FulfillmentOrderRow)
        .where(FulfillmentOrderRow.id == fo.id, FulfillmentOrderRow.status == before.value)
        .values(status=after.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(moved, "rowcount", 0):
        raise InvalidState(f"Fulfilment order {fo.id} changed meanwhile; read it again")
    fo.status, fo.updated_at = after.value, now
    if announce:
        uow.emit(
            f"fulfillment_order.{after.value}",
            {"id": fo.id, "order_id": fo.order_id, "location": fo.location, "status": after.value},
        )
    return after


def simple_transition(
    *, uow: UnitOfWork, principal: Principal, fo_id: str, action: Action
) -> FulfillmentOrderRead:
    """accept, pack, deliver: nothing moves but the status (deliver stamps the shipment)."""
    with uow:
        fo = load_fo(uow.session, fo_id, principal)
        advance(uow, fo, action)
        if action is Action.DELIVER:
            for shipment in fo.shipments:
                if shipment.delivered_at is None:
                    shipment.status, shipment.delivered_at = "delivered", utcnow()
        result = fo_read(uow.session, fo)
        uow.commit()
        return result


def _hand_over(uow: UnitOfWork, fo: FulfillmentOrderRow, note: str) -> None:
    session = uow.session
    for line in fo.lines:
        if line.allocation_id is None:
            raise InvalidState(f"Line {line.sku} of {fo.id} has no allocation to hand over")
        consume_allocation(
            session=session,
            allocation_id=line.allocation_id,
            quantity=line.quantity,
            reference=fo.order_id,
            emit=uow.emit,
        )
    capture_handed_over(session, order_id=fo.order_id, fo_id=fo.id, lines=fo.lines)
    follow_fulfilment(session, order_id=fo.order_id, note=note)


def ship(
    *, uow: UnitOfWork, principal: Principal, fo_id: str, carrier: str, tracking_number: str
) -> FulfillmentOrderRead:
    with uow:
        fo = load_fo(uow.session, fo_id, principal)
        advance(uow, fo, Action.SHIP)
        shipment = ShipmentRow(
            id=new_id("shp"),
            fulfillment_order_id=fo.id,
            carrier=carrier,
            tracking_number=tracking_number,
            status="shipped",
            created_at=utcnow(),
        )
        uow.session.add(shipment)
        fo.shipments.append(shipment)
        _hand_over(uow, fo, note=f"shipped from {fo.location}")
        uow.emit(
            "shipment.shipped",
            {
                "id": shipment.id,
                "fulfillment_order_id": fo.id,
                "order_id": fo.order_id,
                "carrier": carrier,
                "tracking_number": tracking_number,
            },
        )
        result = fo_read(uow.session, fo)
        uow.commit()
        return result


def ready(*, uow: UnitOfWork, principal: Principal, fo_id: str) -> FulfillmentOrderRead:
    """Units on the pickup shelf: units that came by transfer are allocated at the store
    now; a code is generated, kept hashed, and sent to the customer through the event."""
    with uow:
        session = uow.session
        fo = load_fo(session, fo_id, principal)
        next_status(FoType(fo.type), FoStatus(fo.status), Action.READY)
        for line in fo.lines:
            if line.allocation_id is not None or line.transfer_id is None:
                continue
            transfer = get_transfer(session=session, transfer_id=line.transfer_id)
            if transfer.status is not TransferStatus.RECEIVED:
                raise InvalidState(
                    f"{line.quantity} × {line.sku} are still coming from "
                    f"{transfer.from_location} (transfer {transfer.id} is {transfer.status})"
                )
            try:
                made = allocate_direct(
                    session=session, sku=line.sku, location=fo.location,
                    quantity=line.quantity, reference=fo.order_id,
                )  # fmt: skip
            except OutOfStock as exc:
                raise OutOfStock(
                    exc.lines, f"The units transfer {transfer.id} brought were sold meanwhile"
                ) from exc
            line.allocation_id = made.id
        advance(uow, fo, Action.READY, announce=False)
        code = new_pickup_code()
        fo.pickup_code_hash = hash_pickup_code(fo.id, code)
        fo.pickup_failures = 0
        uow.emit(
            "fulfillment_order.ready",
            {
                "id": fo.id,
                "order_id": fo.order_id,
                "location": fo.location,
                "pickup_code": code,
            },
        )
        result = fo_read(session, fo).model_copy(update={"pickup_code": code})
        uow.commit()
        return result


def collect(
    *, uow: UnitOfWork, principal: Principal, fo_id: str, pickup_code: str
) -> FulfillmentOrderRead:
    with uow:
        fo = load_fo(uow.session, fo_id, principal)
        next_status(FoType(fo.type), FoStatus(fo.status), Action.COLLECT)
        if fo.pickup_failures >= MAX_PICKUP_CODE_FAILURES:
            raise InvalidState(
                f"Too many wrong pickup codes for {fo.id}: make it ready again to issue a new code"
            )
        if not pickup_code_matches(fo.id, pickup_code, fo.pickup_code_hash):
            # The one write a refused request makes: counting guesses so a 6-digit code
            # cannot be brute-forced at the counter.
            fo.pickup_failures += 1
            uow.commit()
            raise ValidationFailed(
                "Wrong pickup code",
                errors=[field_error("body.pickup_code", "does not match the code sent")],
            )
        advance(uow, fo, Action.COLLECT)
        _hand_over(uow, fo, note=f"collected at {fo.location}")
        result = fo_read(uow.session, fo)
        uow.commit()
        return result
