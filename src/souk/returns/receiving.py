"""Receiving a return at a location: each unit inspected. Resellable units go back on hand
there (a `return` movement in the ledger); damaged ones are recorded on the return and not
put up for sale. Exchanged units are answered by a new order for the replacement, paid by
the return. The order becomes partially returned or returned."""

from __future__ import annotations

from decimal import Decimal

from souk.access.models import Principal, Role
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, InvalidState, ValidationFailed, field_error
from souk.inventory.movements import record_movement
from souk.inventory.queries import locations_by_code
from souk.orders.models import OrderLineInput
from souk.orders.queries import load_order
from souk.orders.service import record_order, set_status
from souk.returns.models import Condition, Inspected, ReturnStatus, receipt_errors, share
from souk.returns.reads import (
    check_store,
    handed_over,
    load_return,
    return_read,
    returned_per_sku,
)
from souk.returns.schemas import ReceiveBody, ReturnRead
from souk.returns.tables import ReturnLineRow, ReturnRow


def receive_return(
    *, uow: UnitOfWork, principal: Principal, return_id: str, data: ReceiveBody
) -> ReturnRead:
    if principal.role is Role.POS and data.location != principal.location:
        raise Forbidden(f"This POS key receives returns at {principal.location} only")
    with uow:
        session = uow.session
        ret = load_return(session, return_id, lock=True)
        check_store(principal, ret)
        if ret.status != ReturnStatus.REQUESTED.value:
            raise InvalidState(f"Return {ret.id} was already received at {ret.received_location}")
        found = locations_by_code(session=session, codes=[data.location])
        errors = []
        if data.location not in found or not found[data.location].accepts_returns:
            errors.append(field_error("body.location", f"{data.location!r} does not take returns"))
        expected: dict[str, int] = {}
        for line in ret.lines:
            expected[line.sku] = expected.get(line.sku, 0) + line.quantity
        units = [Inspected(u.sku, u.quantity, u.condition) for u in data.lines]
        errors += receipt_errors(expected=expected, received=units)
        if errors:
            raise ValidationFailed("The receipt does not match the return", errors=errors)
        for unit in units:
            _book(ret, unit)
            if unit.condition is Condition.RESELLABLE:
                record_movement(
                    session=session, sku=unit.sku, location=data.location, type="return",
                    quantity=unit.quantity, reason="customer return", reference=ret.id,
                    emit=uow.emit,
                )  # fmt: skip
        ret.status = ReturnStatus.RECEIVED.value
        ret.received_location = data.location
        ret.received_at = utcnow()
        _exchange(uow, ret)
        _order_follows(uow, ret)
        uow.emit(
            "return.received",
            {
                "id": ret.id,
                "order_id": ret.order_id,
                "location": data.location,
                "resellable": sum(line.resellable for line in ret.lines),
                "damaged": sum(line.damaged for line in ret.lines),
            },
        )
        result = return_read(ret)
        uow.commit()
        return result


def _book(ret: ReturnRow, unit: Inspected) -> None:
    left = unit.quantity
    for line in ret.lines:
        if line.sku != unit.sku or left == 0:
            continue
        room = line.quantity - line.resellable - line.damaged
        take = min(room, left)
        if unit.condition is Condition.RESELLABLE:
            line.resellable += take
        else:
            line.damaged += take
        left -= take


def _exchange(uow: UnitOfWork, ret: ReturnRow) -> None:
    """A new order for the replacements of the units received, discounted in full: the
    returned units paid for them. It is routed like any order."""
    swaps: list[ReturnLineRow] = [
        line for line in ret.lines if line.exchange_sku and line.resellable + line.damaged
    ]
    if not swaps:
        return
    session = uow.session
    order = load_order(session=session, order_id=ret.order_id)
    channel = get_channel(session=session, code=ret.channel)
    lines = []
    for line in swaps:
        units = line.resellable + line.damaged
        value = share(line.amount, line.quantity, units)
        lines.append(
            OrderLineInput(
                sku=line.exchange_sku or "", quantity=units, unit_price=value // units,
                discount=(value // units) * units, tax=0, tax_rate=Decimal(0),
                title=f"Exchange for {line.sku} (return {ret.id})",
            )
        )  # fmt: skip
    exchange = record_order(
        session=session,
        channel=channel,
        lines=lines,
        currency=ret.currency,
        customer_id=order.customer_id,
        email=order.email,
        shipping_address=order.shipping_address,
        fulfillment=order.fulfillment,
        source="admin",
        note=f"exchange for return {ret.id}",
        emit=uow.emit,
    )
    ret.exchange_order_id = exchange.id


def _order_follows(uow: UnitOfWork, ret: ReturnRow) -> None:
    session = uow.session
    order = load_order(session=session, order_id=ret.order_id)
    if order.status not in ("fulfilled", "partially_fulfilled", "partially_returned"):
        return
    given = handed_over(session, ret.order_id)
    back = returned_per_sku(session, ret.order_id)
    everything = all(back.get(sku, 0) >= q for sku, q in given.items()) and sum(
        q for q in given.values()
    ) == sum(q for q in back.values())
    target = "returned" if everything and order.status == "fulfilled" else "partially_returned"
    if order.status == "partially_returned" and everything:
        target = "returned"
    set_status(session=session, order_id=ret.order_id, status=target, note=f"return {ret.id}")
