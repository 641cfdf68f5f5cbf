"""What fulfilment needs from orders and payments, inside the caller's transaction: the order
as routing sees it, the money to capture when units are handed over, and the order status
that follows its fulfilment orders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.fulfilment.models import FoStatus, order_status_after
from souk.fulfilment.routing_model import Destination
from souk.fulfilment.sourcing import HeldAllocation, LineToRoute, OrderToRoute
from souk.fulfilment.tables import FulfillmentHoldRow, FulfillmentOrderLineRow, FulfillmentOrderRow
from souk.inventory.models import Location
from souk.inventory.queries import reference_locations
from souk.money import allocate
from souk.orders.queries import load_order
from souk.orders.service import set_status
from souk.orders.tables import OrderRow
from souk.payments.service import capture, payments_for


def _destination(
    channel: Channel, known: Mapping[str, Location], address: dict[str, Any] | None
) -> Destination | None:
    """Where the parcel goes, as well as Souk can tell without a geocoder.

    Coordinates in the address win. Otherwise the channel's own locations (`known`) stand
    in: one in the same city, else the middle of those in the same country; none of them,
    and routing is distance-neutral (only package, handling and border costs count).
    """
    if not address:
        return None
    lat, lon, country = address.get("lat"), address.get("lon"), address.get("country")
    country = country if isinstance(country, str) else None
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return Destination(float(lat), float(lon), country)
    codes = {*channel.ship_from, *channel.pickup_at}
    placed = [
        loc
        for code, loc in known.items()
        if code in codes and loc.lat is not None and loc.lon is not None
    ]
    city = str(address.get("city") or "").strip().casefold()
    for loc in placed:
        same_city = (loc.address.city or "").strip().casefold() == city
        if city and same_city and loc.country == country:
            return Destination(float(loc.lat or 0), float(loc.lon or 0), country)
    national = [loc for loc in placed if loc.country == country]
    if national:
        return Destination(
            sum(float(loc.lat or 0) for loc in national) / len(national),
            sum(float(loc.lon or 0) for loc in national) / len(national),
            country,
        )
    return None


def order_to_route(
    session: Session,
    order_id: str,
    *,
    row: OrderRow | None = None,
    channel: Channel | None = None,
) -> OrderToRoute:
    """The order as routing sees it: `row` and `channel` when the caller holds them (the
    order it has just written), else read. A delivery's channel and locations are read once
    here and travel with it, so that planning does not read them again."""
    order = row if row is not None else load_order(session=session, order_id=order_id)
    choice = order.fulfillment or {}
    pickup = choice.get("location") if choice.get("type") == "pickup" else None
    pickup_at = pickup if isinstance(pickup, str) else None
    ch = channel if channel is not None else get_channel(session=session, code=order.channel)
    known: dict[str, Location] = {}
    if pickup_at is None:
        known = reference_locations(session=session, codes={*ch.ship_from, *ch.pickup_at})
    return OrderToRoute(
        id=order.id,
        channel=order.channel,
        lines=tuple(
            LineToRoute(
                line_id=str(line.id),
                sku=line.sku,
                quantity=line.quantity,
                allocations=tuple(
                    HeldAllocation(a.allocation_id, a.location, a.quantity)
                    for a in line.allocations
                ),
            )
            for line in order.lines
        ),
        pickup_at=pickup_at,
        destination=_destination(ch, known, order.shipping_address),
        channel_info=ch,
        locations=known,
    )


def order_source(session: Session, order_id: str) -> str | None:
    return session.scalar(select(OrderRow.source).where(OrderRow.id == order_id))


def _line_value(order: OrderRow, line_id: str, units: int) -> int:
    """What `units` of an order line cost the customer, tax included, split exactly."""
    for line in order.lines:
        if str(line.id) == line_id:
            gross = line.total + (0 if order.prices_include_tax else line.tax)
            parts = allocate(gross, [1] * line.quantity) if line.quantity else [0]
            return sum(parts[:units])
    return 0


def capture_handed_over(
    session: Session, *, order_id: str, fo_id: str, lines: Iterable[FulfillmentOrderLineRow]
) -> int:
    """Capture the payment for units just shipped or collected; returns what was captured.

    The first handover also takes the shipping charge; once nothing of the order is left to
    hand over, whatever is still authorised is captured, so that rounding never strands a
    cent. Money already taken (a till, a marketplace) leaves nothing to capture.
    """
    order = load_order(session=session, order_id=order_id)
    open_amount = sum(p.capturable for p in payments_for(session=session, order_id=order_id))
    if open_amount <= 0:
        return 0
    amount = sum(_line_value(order, ln.order_line_id or "", ln.quantity) for ln in lines)
    handed = _handed_over_before(session, order_id, this=fo_id)
    if not handed:
        amount += order.shipping + (0 if order.prices_include_tax else order.shipping_tax)
    if _nothing_left_to_hand_over(session, order_id):
        amount = open_amount
    amount = min(amount, open_amount)
    if amount > 0:
        capture(session=session, order_id=order_id, amount=amount)
    return amount


def _handed_over_before(session: Session, order_id: str, *, this: str) -> int:
    """Fulfilment orders of the order shipped or collected before `this` one."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(FulfillmentOrderRow)
            .where(
                FulfillmentOrderRow.order_id == order_id,
                FulfillmentOrderRow.id != this,
                FulfillmentOrderRow.status.in_(
                    [FoStatus.SHIPPED, FoStatus.DELIVERED, FoStatus.COLLECTED]
                ),
            )
        )
        or 0
    )


def _nothing_left_to_hand_over(session: Session, order_id: str) -> bool:
    statuses = [FoStatus(s) for s in _statuses(session, order_id)]
    return order_status_after(statuses, unrouted_units=_open_holds(session, order_id)) == (
        "fulfilled"
    )


def _statuses(session: Session, order_id: str) -> list[str]:
    return list(
        session.scalars(
            select(FulfillmentOrderRow.status).where(FulfillmentOrderRow.order_id == order_id)
        )
    )


def _open_holds(session: Session, order_id: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(FulfillmentHoldRow.quantity), 0)).where(
                FulfillmentHoldRow.order_id == order_id, FulfillmentHoldRow.status == "open"
            )
        )
        or 0
    )


def follow_fulfilment(session: Session, *, order_id: str, note: str) -> str | None:
    """Move the order to what its fulfilment orders say (partially fulfilled, fulfilled)."""
    statuses = [FoStatus(s) for s in _statuses(session, order_id)]
    target = order_status_after(statuses, unrouted_units=_open_holds(session, order_id))
    if target is None:
        return None
    current = session.scalar(select(OrderRow.status).where(OrderRow.id == order_id))
    if current == target or current in ("cancelled", "returned", "partially_returned"):
        return current
    if current == "fulfilled":
        return current
    set_status(session=session, order_id=order_id, status=target, note=note)
    return target
