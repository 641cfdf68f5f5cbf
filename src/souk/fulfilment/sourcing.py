"""Routing an order for delivery inside the caller's transaction: build the candidates from
the channel, inventory and today's workload, let `routing.route` choose, then make the
allocations say the same — keeping what checkout already allocated where the plan agrees,
moving the rest — and write one fulfilment order per location. Never commits.

Units checkout already allocated are never lost by routing: if the plan leaves them
unserved (a rule changed since), they stay where they were allocated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from souk.catalog.queries import variants_by_sku
from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.errors import OutOfStock
from souk.fulfilment import routing
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import FoType
from souk.fulfilment.records import (
    Emit,
    FoLineDraft,
    create_fulfillment_order,
    hold_units,
    local_day_start,
    units_routed_since,
)
from souk.fulfilment.routing_model import Assignment, Candidate, Destination, Plan, RoutingLine
from souk.fulfilment.tables import FulfillmentOrderRow
from souk.inventory.availability import available_at
from souk.inventory.models import Location
from souk.inventory.queries import locations_by_code
from souk.inventory.reservations import allocate_direct, deallocate


@dataclass(frozen=True, slots=True)
class HeldAllocation:
    id: str
    location: str
    quantity: int


@dataclass(frozen=True, slots=True)
class LineToRoute:
    line_id: str | None
    sku: str
    quantity: int
    allocations: tuple[HeldAllocation, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderToRoute:
    id: str
    channel: str
    lines: tuple[LineToRoute, ...]
    pickup_at: str | None = None
    destination: Destination | None = None
    # What placement already read: the channel and its locations (not part of the value).
    channel_info: Channel | None = field(default=None, compare=False)
    locations: Mapping[str, Location] = field(default_factory=dict, compare=False)


@dataclass(slots=True)
class Outcome:
    fulfillment_orders: list[FulfillmentOrderRow] = field(default_factory=list)
    held_units: int = 0
    plan: Plan | None = None


def candidates_for(
    session: Session,
    *,
    codes: Collection[str],
    skus: Collection[str],
    own: dict[tuple[str, str], int],
    destination: Destination | None,
    config: RoutingConfig,
    known: Mapping[str, Location] | None = None,
) -> list[Candidate]:
    """The channel's locations as the rules see them, in the channel's order of preference.

    `own` are units this very order already holds (sku, location): available to it.
    `known` are locations the caller has read already.
    """
    now = utcnow()
    if known is not None and all(c in known for c in codes):
        found = dict(known)
    else:
        found = locations_by_code(session=session, codes=codes)
    ordered = [found[c] for c in codes if c in found]
    stock = available_at(session=session, skus=skus, locations=[loc.code for loc in ordered])
    starts = {loc.code: local_day_start(now, loc.timezone) for loc in ordered if loc.daily_capacity}
    used = units_routed_since(session, starts=starts)
    result = []
    for loc in ordered:
        # Without coordinates on either side, distance cannot decide: all sit together and
        # the channel's order of preference breaks the tie.
        if destination is None or loc.lat is None or loc.lon is None:
            lat, lon = (destination.lat, destination.lon) if destination else (0.0, 0.0)
        else:
            lat, lon = loc.lat, loc.lon
        capacity = None
        if loc.daily_capacity is not None:
            capacity = max(0, loc.daily_capacity - used.get(loc.code, 0))
        result.append(
            Candidate(
                code=loc.code,
                lat=lat,
                lon=lon,
                stock={
                    sku: stock.get((sku, loc.code), 0) + own.get((sku, loc.code), 0) for sku in skus
                },
                capacity=capacity,
                handling_cost=config.handling.get(loc.type.value, 0.0),
                excluded_categories=config.store_excluded_categories
                if loc.type.value == "store"
                else frozenset(),
                can_ship=loc.can_ship,
                country=loc.country,
            )
        )
    return result


def plan_delivery(
    session: Session,
    *,
    order: OrderToRoute,
    lines: list[LineToRoute],
    config: RoutingConfig,
    exclude: Collection[str] = (),
) -> Plan:
    channel = order.channel_info or get_channel(session=session, code=order.channel)
    codes = [c for c in channel.ship_from if c not in exclude]
    skus = {line.sku for line in lines}
    own: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        for held in line.allocations:
            own[(line.sku, held.location)] += held.quantity
    candidates = candidates_for(
        session, codes=codes, skus=skus, own=own, destination=order.destination, config=config,
        known=order.locations,
    )  # fmt: skip
    # Categories matter only to a location that may not ship some (the default has none).
    excluding = any(c.excluded_categories for c in candidates)
    categories = variants_by_sku(session=session, skus=skus) if excluding else {}
    routing_lines = [
        RoutingLine(
            key=str(i),
            sku=line.sku,
            quantity=line.quantity,
            category=categories[line.sku].category if line.sku in categories else None,
        )
        for i, line in enumerate(lines)
    ]
    destination = order.destination or Destination(0.0, 0.0, None)
    return routing.route(
        lines=routing_lines,
        candidates=candidates,
        destination=destination,
        weights=config.weights,
        time_limit_s=config.time_limit_s,
    )


def route_delivery(
    session: Session,
    *,
    order: OrderToRoute,
    config: RoutingConfig,
    emit: Emit,
    lines: list[LineToRoute] | None = None,
    exclude: Collection[str] = (),
    rerouted_from: str | None = None,
) -> Outcome:
    """Route `lines` (all the order's by default) to ship-from locations outside `exclude`."""
    lines = list(order.lines) if lines is None else lines
    outcome = Outcome()
    only = _only_choice(session, order, lines, exclude)
    if only is not None:
        plan, wanted = only, [{only.locations[0]: line.quantity} for line in lines]
        drafts = _allocate(session, order_id=order.id, lines=lines, wanted=wanted)
    else:
        plan, wanted, drafts = _plan_and_allocate(session, order, lines, config, exclude)
    outcome.plan = plan
    by_location: dict[str, list[FoLineDraft]] = defaultdict(list)
    for location, draft in drafts:
        by_location[location].append(draft)
    for location, location_lines in by_location.items():
        outcome.fulfillment_orders.append(
            create_fulfillment_order(
                session,
                order_id=order.id,
                channel=order.channel,
                location=location,
                fo_type=FoType.SHIP,
                lines=location_lines,
                emit=emit,
                rerouted_from=rerouted_from,
            )
        )
    for line, want in zip(lines, wanted, strict=True):
        missing = line.quantity - sum(want.values())
        if missing > 0:
            hold_units(
                session,
                order_id=order.id,
                order_line_id=line.line_id,
                sku=line.sku,
                quantity=missing,
                reason="no ship-from location has these units",
                emit=emit,
            )
            outcome.held_units += missing
    return outcome


def _plan_and_allocate(
    session: Session,
    order: OrderToRoute,
    lines: list[LineToRoute],
    config: RoutingConfig,
    exclude: Collection[str],
) -> tuple[Plan, list[dict[str, int]], list[tuple[str, FoLineDraft]]]:
    """Plan on the stock as it is and make the allocations say the same: the plan, what
    each line wants where, and the allocations made."""
    for attempt in range(2):
        plan = plan_delivery(session, order=order, lines=lines, config=config, exclude=exclude)
        wanted = _wanted_per_line(plan, lines)
        try:
            with session.begin_nested():
                return (
                    plan,
                    wanted,
                    _allocate(session, order_id=order.id, lines=lines, wanted=wanted),
                )
        except OutOfStock:
            # Someone took the units between our availability read and our allocation: plan
            # again on fresh figures once, then keep whatever is already allocated.
            if attempt == 0:
                continue
    wanted = [{h.location: h.quantity for h in line.allocations} for line in lines]
    return plan, wanted, _allocate(session, order_id=order.id, lines=lines, wanted=wanted)


def _only_choice(
    session: Session, order: OrderToRoute, lines: list[LineToRoute], exclude: Collection[str]
) -> Plan | None:
    """The plan when there is nothing to choose: the channel ships from one location and
    checkout allocated every unit there. No plan can move a unit (there is nowhere else),
    and none can give one up (allocated units are never lost to a rule), so the stock is not
    read and no program is built. Not priced: nothing was compared."""
    channel = order.channel_info or get_channel(session=session, code=order.channel)
    codes = [c for c in channel.ship_from if c not in exclude]
    if len(codes) != 1 or not lines:
        return None
    where = codes[0]
    for line in lines:
        if sum(h.quantity for h in line.allocations if h.location == where) != line.quantity:
            return None
    assignments = tuple(
        Assignment(str(i), line.sku, where, line.quantity) for i, line in enumerate(lines)
    )
    return Plan(assignments, {}, None, "as_allocated", "single_location", (where,))


def _wanted_per_line(plan: Plan, lines: list[LineToRoute]) -> list[dict[str, int]]:
    wanted: list[dict[str, int]] = [defaultdict(int) for _ in lines]
    for a in plan.assignments:
        wanted[int(a.line)][a.location] += a.quantity
    for i, line in enumerate(lines):
        short = plan.unfulfilled.get(str(i), 0)
        for held in line.allocations:
            if short <= 0:
                break
            # Already allocated there: never give up units the order holds for a rule.
            extra = min(short, held.quantity - wanted[i].get(held.location, 0))
            if extra > 0:
                wanted[i][held.location] += extra
                short -= extra
    return [dict(w) for w in wanted]


def _allocate(
    session: Session, *, order_id: str, lines: list[LineToRoute], wanted: list[dict[str, int]]
) -> list[tuple[str, FoLineDraft]]:
    """Make the allocations match `wanted`: give back first (a unit freed by one line may
    be the one another line of the same SKU wants), then allocate what is still missing."""
    kept: list[tuple[str, FoLineDraft]] = []
    missing: list[tuple[LineToRoute, str, int]] = []
    for line, want in zip(lines, wanted, strict=True):
        want = dict(want)
        for held in line.allocations:
            take = min(held.quantity, want.get(held.location, 0))
            if take:
                kept.append((held.location, FoLineDraft(line.line_id, line.sku, take, held.id)))
                want[held.location] -= take
            if held.quantity > take:
                deallocate(session=session, allocation_id=held.id, quantity=held.quantity - take)
        missing.extend((line, loc, q) for loc, q in want.items() if q > 0)
    for line, location, quantity in missing:
        made = allocate_direct(
            session=session, sku=line.sku, location=location, quantity=quantity, reference=order_id
        )
        kept.append((location, FoLineDraft(line.line_id, line.sku, quantity, made.id)))
    return kept
