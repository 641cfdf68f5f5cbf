"""Transfers between locations: requested → shipped → received (or cancelled).

Requesting commits the units at the source (they count as allocated there, so they are not
sold meanwhile); shipping takes them off the source's on hand and shows them as inbound at
the destination; receiving puts them on hand there. Each step is one conditional UPDATE on
the transfer's status, so a step is never applied twice, whatever the concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from souk.catalog.queries import variants_by_sku
from souk.catalog.tables import VariantRow
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound, OutOfStock, ValidationFailed, field_error
from souk.inventory.models import MovementType, TransferStatus, transfer_step
from souk.inventory.movements import apply_movement
from souk.inventory.queries import as_dict, location_ids, locations_by_code
from souk.inventory.stock import (
    StockLabel,
    adjust,
    commit_units,
    ensure_stock,
    read_stock,
)
from souk.inventory.tables import LocationRow, TransferRow, stock_transfers

transfers_t = stock_transfers


@dataclass(frozen=True, slots=True)
class Transfer:
    id: str
    sku: str
    from_location: str
    to_location: str
    quantity: int
    status: TransferStatus
    reference: str | None
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    cancelled_at: datetime | None


def request_transfer(
    *,
    uow: UnitOfWork,
    sku: str,
    from_location: str,
    to_location: str,
    quantity: int,
    reference: str | None = None,
    now: datetime | None = None,
) -> Transfer:
    with uow:
        transfer = request_transfer_in(
            session=uow.session,
            sku=sku,
            from_location=from_location,
            to_location=to_location,
            quantity=quantity,
            reference=reference,
            now=now,
        )
        uow.commit()
        return transfer


def request_transfer_in(
    *,
    session: Session,
    sku: str,
    from_location: str,
    to_location: str,
    quantity: int,
    reference: str | None = None,
    now: datetime | None = None,
) -> Transfer:
    """Request a transfer inside the caller's transaction (fulfilment's endless aisle asks
    for one while it routes a click & collect order); never commits."""
    now = now or utcnow()
    errors = []
    if quantity <= 0:
        errors.append(field_error("body.quantity", "must be at least 1"))
    variant = variants_by_sku(session=session, skus=[sku]).get(sku)
    if variant is None:
        errors.append(field_error("body.sku", f"unknown SKU {sku!r}"))
    known = locations_by_code(session=session, codes=[from_location, to_location])
    for field, code in (("body.from", from_location), ("body.to", to_location)):
        if code not in known:
            errors.append(field_error(field, f"unknown location {code!r}"))
        elif known[code].is_dropship:
            errors.append(
                field_error(field, f"{code!r} is a drop-ship vendor: its stock is not moved")
            )
    if from_location == to_location:
        errors.append(field_error("body.to", "a transfer goes to another location"))
    if errors:
        raise ValidationFailed("The transfer is not valid", errors=errors)
    assert variant is not None
    ids = location_ids(session=session, codes=[from_location, to_location])
    source = (variant.variant_id, ids[from_location])
    target = (variant.variant_id, ids[to_location])
    stock_ids = ensure_stock(session, pairs=[source, target], now=now)
    held = commit_units(
        session, stock_id=stock_ids[source], column="allocated", quantity=quantity, now=now
    )
    if held is None:
        live = read_stock(session, now=now, stock_ids=[stock_ids[source]])[source]
        raise OutOfStock(
            [
                {
                    "sku": sku,
                    "location": from_location,
                    "requested": quantity,
                    "available": live.figures.available,
                }
            ]
        )
    transfer_id = new_id("trf")
    session.execute(
        insert(transfers_t).values(
            id=transfer_id,
            variant_id=variant.variant_id,
            from_location_id=ids[from_location],
            to_location_id=ids[to_location],
            quantity=quantity,
            status=TransferStatus.REQUESTED.value,
            reference=reference,
            created_at=now,
        )
    )
    return _read(session, transfer_id)


def advance_transfer(
    *, uow: UnitOfWork, transfer_id: str, action: str, now: datetime | None = None
) -> Transfer:
    """`ship`, `receive` or `cancel`; InvalidState from the wrong status."""
    with uow:
        session = uow.session
        now = now or utcnow()
        current = _read(session, transfer_id)
        after = transfer_step(action, current.status)
        if after is None:
            raise InvalidState(f"Transfer {transfer_id} is {current.status}: it cannot {action}")
        stamp = {"ship": "shipped_at", "receive": "received_at", "cancel": "cancelled_at"}[action]
        moved = session.execute(
            update(transfers_t)
            .where(transfers_t.c.id == transfer_id, transfers_t.c.status == current.status.value)
            .values(status=after.value, **{stamp: now})
        )
        if not getattr(moved, "rowcount", 0):
            raise InvalidState(f"Transfer {transfer_id} changed meanwhile; try again")
        row = session.get_one(TransferRow, transfer_id)
        source = (row.variant_id, row.from_location_id)
        target = (row.variant_id, row.to_location_id)
        stock_ids = ensure_stock(session, pairs=[source, target], now=now)
        q = row.quantity
        if action == "cancel":
            adjust(session, stock_id=stock_ids[source], now=now, allocated=-q)
        elif action == "ship":
            adjust(session, stock_id=stock_ids[source], now=now, allocated=-q)
            out = MovementType.TRANSFER_OUT
            _move(session, stock_ids[source], source, current, out, -q, now, uow)
            adjust(session, stock_id=stock_ids[target], now=now, inbound=q)
        else:
            adjust(session, stock_id=stock_ids[target], now=now, inbound=-q)
            into = MovementType.TRANSFER_IN
            _move(session, stock_ids[target], target, current, into, q, now, uow)
        transfer = _read(session, transfer_id)
        uow.commit()
        return transfer


def _move(
    session: Session,
    stock_id: int,
    key: tuple[int, int],
    transfer: Transfer,
    type_: MovementType,
    delta: int,
    now: datetime,
    uow: UnitOfWork,
) -> None:
    code = transfer.from_location if delta < 0 else transfer.to_location
    apply_movement(
        session,
        stock_id=stock_id,
        label=StockLabel(key[0], key[1], transfer.sku, code),
        type_=type_,
        delta=delta,
        floor="none",  # the units were committed to this transfer when it was requested
        reason=None,
        reference=transfer.id,
        now=now,
        emit=uow.emit,
    )


def read_transfer(*, uow: UnitOfWork, transfer_id: str) -> Transfer:
    with uow:
        return _read(uow.session, transfer_id)


def get_transfer(*, session: Session, transfer_id: str) -> Transfer:
    """A transfer, read in the caller's transaction (NotFound if unknown)."""
    return _read(session, transfer_id)


def _read(session: Session, transfer_id: str) -> Transfer:
    row = session.get(TransferRow, transfer_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No transfer {transfer_id!r}")
    codes = as_dict(
        session.execute(
            select(LocationRow.id, LocationRow.code).where(
                LocationRow.id.in_([row.from_location_id, row.to_location_id])
            )
        )
    )
    sku = session.scalar(select(VariantRow.sku).where(VariantRow.id == row.variant_id))
    return transfer_of(row, str(sku), codes[row.from_location_id], codes[row.to_location_id])


def transfer_of(row: TransferRow, sku: str, from_location: str, to_location: str) -> Transfer:
    """A transfer's row as the other modules see it, with its SKU and location codes."""
    return Transfer(
        id=row.id,
        sku=sku,
        from_location=from_location,
        to_location=to_location,
        quantity=row.quantity,
        status=TransferStatus(row.status),
        reference=row.reference,
        created_at=row.created_at,
        shipped_at=row.shipped_at,
        received_at=row.received_at,
        cancelled_at=row.cancelled_at,
    )
