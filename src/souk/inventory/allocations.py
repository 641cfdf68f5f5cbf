"""Allocations: units committed to an order (or a transfer) until shipped, collected or
cancelled. Re-exported by `souk.inventory.reservations`, where the contract names them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from souk.catalog.queries import variants_by_sku
from souk.db.base import new_id, utcnow
from souk.errors import InvalidState, NotFound, OutOfStock, ValidationFailed, field_error
from souk.inventory import events
from souk.inventory.events import Emit
from souk.inventory.models import Allocation, Movement, MovementType, ReservationStatus
from souk.inventory.movements import apply_movement
from souk.inventory.queries import location_ids
from souk.inventory.stock import adjust, commit_units, ensure_stock, read_stock, stock_labels
from souk.inventory.tables import AllocationRow, allocations, reservation_lines, reservations

allocations_t = allocations
reservations_t = reservations
lines_t = reservation_lines

# A reservation becoming allocations, once per checkout: built once. The status guard makes
# allocate and release exclude each other; the expiry guard and the `held` guard on the
# lines make a reservation that expired meanwhile (and was released by someone else's lazy
# tidy-up) fail here instead of being counted twice.
_WIN = (
    update(reservations_t)
    .where(
        reservations_t.c.id == bindparam("reservation"),
        reservations_t.c.status == ReservationStatus.ACTIVE.value,
        reservations_t.c.expires_at > bindparam("now"),
    )
    .values(status=ReservationStatus.ALLOCATED.value, updated_at=bindparam("now"))
)
_TAKE_LINES = (
    update(lines_t)
    .where(lines_t.c.reservation_id == bindparam("reservation"), lines_t.c.status == "held")
    .values(status="allocated")
    .returning(lines_t.c.stock_id, lines_t.c.quantity)
)
_INSERT = insert(allocations_t)


def allocate(
    *,
    session: Session,
    reservation_id: str,
    reference: str,
    now: datetime | None = None,
    stock: Mapping[int, tuple[str, str]] | None = None,
) -> list[Allocation]:
    """Turn a live reservation into allocations for `reference` (an order).

    `stock`: the (sku, location code) of stock rows, when the caller knows them (a checkout
    that reserved a moment ago: `ReservationInfo.stock`); the rows it misses are read.
    InvalidState if the reservation expired, was released or was allocated already.
    """
    now = now or utcnow()
    won = session.execute(_WIN, {"reservation": reservation_id, "now": now})
    if not getattr(won, "rowcount", 0):
        _refuse_allocation(session, reservation_id, now)
    rows = session.execute(_TAKE_LINES, {"reservation": reservation_id}).all()
    if not rows and session.scalar(
        select(lines_t.c.id).where(lines_t.c.reservation_id == reservation_id).limit(1)
    ):
        raise InvalidState(f"Reservation {reservation_id} has expired")
    units: dict[int, int] = {}
    for stock_id, quantity in rows:
        units[stock_id] = units.get(stock_id, 0) + quantity
    known = stock or {}
    missing = [stock_id for stock_id in units if stock_id not in known]
    read = stock_labels(session, stock_ids=missing) if missing else {}
    labels = {**{sid: (label.sku, label.location) for sid, label in read.items()}, **known}
    result = []
    inserts = []
    for stock_id in sorted(units):
        q = units[stock_id]
        adjust(session, stock_id=stock_id, now=now, reserved=-q, allocated=q)
        allocation_id = new_id("alc")
        inserts.append(_values(allocation_id, stock_id, q, reference, reservation_id, now))
        sku, location = labels[stock_id]
        result.append(Allocation(allocation_id, sku, location, q, reference, reservation_id))
    if inserts:
        session.execute(_INSERT, inserts)  # one executemany for every row
    return result


def _refuse_allocation(session: Session, reservation_id: str, now: datetime) -> None:
    header = session.execute(
        select(reservations_t.c.status, reservations_t.c.expires_at).where(
            reservations_t.c.id == reservation_id
        )
    ).first()
    if header is None:
        raise NotFound(f"No reservation {reservation_id!r}")
    status = header.status
    if status == ReservationStatus.ACTIVE.value:
        status = ReservationStatus.EXPIRED.value
    raise InvalidState(f"Reservation {reservation_id} cannot be allocated: it is {status}")


def _values(
    allocation_id: str,
    stock_id: int,
    quantity: int,
    reference: str,
    reservation_id: str | None,
    now: datetime,
) -> dict[str, object]:
    return {
        "id": allocation_id,
        "stock_id": stock_id,
        "reservation_id": reservation_id,
        "reference": reference,
        "quantity": quantity,
        "consumed": 0,
        "released": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert(
    session: Session,
    stock_id: int,
    quantity: int,
    reference: str,
    reservation_id: str | None,
    now: datetime,
) -> str:
    allocation_id = new_id("alc")
    values = _values(allocation_id, stock_id, quantity, reference, reservation_id, now)
    session.execute(_INSERT, values)
    return allocation_id


def allocate_direct(
    *,
    session: Session,
    sku: str,
    location: str,
    quantity: int,
    reference: str,
    now: datetime | None = None,
    emit: Emit | None = None,
) -> Allocation:
    """Allocate available units at one location without a prior reservation (routing,
    re-routing). OutOfStock if they are not there, unless the variant allows backorders."""
    now = now or utcnow()
    errors = []
    if quantity <= 0:
        errors.append(field_error("quantity", "must be at least 1"))
    variant = variants_by_sku(session=session, skus=[sku]).get(sku)
    if variant is None:
        errors.append(field_error("sku", f"unknown SKU {sku!r}"))
    location_id = location_ids(session=session, codes=[location]).get(location)
    if location_id is None:
        errors.append(field_error("location", f"unknown location {location!r}"))
    if errors:
        raise ValidationFailed("The allocation is not valid", errors=errors)
    assert variant is not None and location_id is not None
    key = (variant.variant_id, location_id)
    stock_id = ensure_stock(session, pairs=[key], now=now)[key]
    changed = commit_units(
        session,
        stock_id=stock_id,
        column="allocated",
        quantity=quantity,
        now=now,
        conditional=not variant.allow_backorder,
    )
    if changed is None:
        live = read_stock(session, now=now, stock_ids=[stock_id])[key]
        short = {"sku": sku, "location": location, "requested": quantity}
        raise OutOfStock([{**short, "available": live.figures.available}])
    emit = emit or events.session_emitter(session)
    events.low_stock_after_commit(emit, sku, location, quantity, changed)
    allocation_id = _insert(session, stock_id, quantity, reference, None, now)
    return Allocation(allocation_id, sku, location, quantity, reference)


def get_allocation(*, session: Session, allocation_id: str) -> Allocation:
    row = session.get(AllocationRow, allocation_id)
    if row is None:
        raise NotFound(f"No allocation {allocation_id!r}")
    label = stock_labels(session, stock_ids=[row.stock_id])[row.stock_id]
    return Allocation(
        row.id,
        label.sku,
        label.location,
        row.quantity,
        row.reference,
        row.reservation_id,
        row.consumed,
        row.released,
    )


def _take(
    session: Session, allocation_id: str, quantity: int | None, column: str, now: datetime
) -> tuple[int, int]:
    """Take `quantity` (None: all that is left) off an allocation: (stock_id, units taken)."""
    if quantity is not None and quantity <= 0:
        raise ValidationFailed(
            "Invalid quantity", errors=[field_error("quantity", "must be at least 1")]
        )
    current = session.execute(
        select(allocations_t.c.stock_id, allocations_t.c.quantity)
        .where(allocations_t.c.id == allocation_id)
        .with_for_update()
    ).first()
    if current is None:
        raise NotFound(f"No allocation {allocation_id!r}")
    units = current.quantity if quantity is None else quantity
    if units == 0:
        return current.stock_id, 0
    done = session.execute(
        update(allocations_t)
        .where(allocations_t.c.id == allocation_id, allocations_t.c.quantity >= units)
        .values(
            quantity=allocations_t.c.quantity - units,
            updated_at=now,
            **{column: allocations_t.c[column] + units},
        )
    )
    if not getattr(done, "rowcount", 0):
        raise InvalidState(
            f"Allocation {allocation_id} holds {current.quantity} units, not {units}"
        )
    return current.stock_id, units


def deallocate(
    *,
    session: Session,
    allocation_id: str,
    quantity: int | None = None,
    now: datetime | None = None,
) -> Allocation:
    """Give allocated units back to available (an order line cancelled or re-routed).
    Without `quantity`, all that is left; deallocating an empty allocation changes nothing."""
    now = now or utcnow()
    stock_id, units = _take(session, allocation_id, quantity, "released", now)
    if units:
        adjust(session, stock_id=stock_id, now=now, allocated=-units)
    return get_allocation(session=session, allocation_id=allocation_id)


def consume_allocation(
    *,
    session: Session,
    allocation_id: str,
    quantity: int,
    movement_type: MovementType | str = MovementType.SALE,
    reference: str | None = None,
    now: datetime | None = None,
    emit: Emit | None = None,
) -> Movement:
    """Allocated units leave (shipped or collected): allocated −q, on hand −q, one movement."""
    now = now or utcnow()
    type_ = MovementType(movement_type)
    stock_id, units = _take(session, allocation_id, quantity, "consumed", now)
    adjust(session, stock_id=stock_id, now=now, allocated=-units)
    label = stock_labels(session, stock_ids=[stock_id])[stock_id]
    # The units were promised and now physically leave: on hand follows, whatever it says.
    movement = apply_movement(
        session,
        stock_id=stock_id,
        label=label,
        type_=type_,
        delta=-units,
        floor="none",
        reason=None,
        reference=reference,
        now=now,
        emit=emit,
    )
    assert movement is not None
    return movement
