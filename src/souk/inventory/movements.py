"""The movement ledger: every change of on hand goes through here (invariant 2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from souk.catalog.queries import variants_by_sku
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound, OutOfStock, ValidationFailed, field_error
from souk.inventory import events
from souk.inventory.events import Emit
from souk.inventory.models import NOT_AT_DROPSHIP, Movement, MovementType, movement_delta
from souk.inventory.queries import location_ids, locations_by_code
from souk.inventory.stock import Floor, StockLabel, change_on_hand, ensure_stock, read_stock
from souk.inventory.tables import LocationRow, MovementRow, stock_movements

movements_t = stock_movements


def record_movement(
    *,
    session: Session,
    sku: str,
    location: str,
    type: MovementType | str,
    quantity: int,
    reason: str | None = None,
    reference: str | None = None,
    allow_negative: bool = False,
    now: datetime | None = None,
    emit: Emit | None = None,
) -> Movement:
    """Change on hand at one location and write its ledger entry, in the caller's transaction.

    `quantity` is a positive count of units for receipt, return, transfer_in (in) and sale,
    damage, transfer_out (out); signed and not zero for an adjustment; the counted quantity
    for a count. Units may not leave below zero on hand, and a sale (units leaving without an
    allocation) may not take units promised to someone else — unless `allow_negative` (a POS
    sale that physically happened). Raises ValidationFailed, InvalidState or OutOfStock.
    """
    now = now or utcnow()
    type_ = _movement_type(type)
    errors = []
    variant = variants_by_sku(session=session, skus=[sku]).get(sku)
    if variant is None:
        errors.append(field_error("body.sku", f"unknown SKU {sku!r}"))
    found = locations_by_code(session=session, codes=[location]).get(location)
    if found is None:
        errors.append(field_error("body.location", f"unknown location {location!r}"))
    elif found.is_dropship and type_ in NOT_AT_DROPSHIP:
        message = f"{location!r} is a drop-ship vendor: it cannot receive stock"
        errors.append(field_error("body.location", message))
    try:
        # Validates the quantity (a count's delta is only known under the row lock).
        movement_delta(type_, quantity, quantity if type_ is MovementType.COUNT else 0)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed("The movement is not valid", errors=errors)
    assert variant is not None
    location_id = location_ids(session=session, codes=[location])[location]
    key = (variant.variant_id, location_id)
    stock_id = ensure_stock(session, pairs=[key], now=now)[key]
    label = StockLabel(variant.variant_id, location_id, sku, location)
    if type_ is MovementType.COUNT:
        # A count needs the quantity it replaces: lock the row, then set it. It sets on hand
        # even below what is reserved — the shelf is the truth; the shortfall shows as 0
        # available and a low-stock event.
        live = read_stock(session, now=now, stock_ids=[stock_id], lock=True)[key]
        delta, floor = quantity - live.figures.on_hand, _floor(type_, 0, True)
    else:
        delta = movement_delta(type_, quantity, 0)
        floor = _floor(type_, delta, allow_negative)
    movement = apply_movement(
        session,
        stock_id=stock_id,
        label=label,
        type_=type_,
        delta=delta,
        floor=floor,
        reason=reason,
        reference=reference,
        now=now,
        emit=emit,
    )
    if movement is None:
        _refuse(session, stock_id, label, type_, quantity, now)
    assert movement is not None
    return movement


def _floor(type_: MovementType, delta: int, allow_negative: bool) -> Floor:
    if allow_negative or delta >= 0:
        return "none"
    return "available" if type_ is MovementType.SALE else "zero"


def apply_movement(
    session: Session,
    *,
    stock_id: int,
    label: StockLabel,
    type_: MovementType,
    delta: int,
    floor: Floor,
    reason: str | None,
    reference: str | None,
    now: datetime,
    emit: Emit | None,
) -> Movement | None:
    """Change on hand by `delta` and write the ledger row; None if `floor` refuses it."""
    changed = change_on_hand(session, stock_id=stock_id, delta=delta, now=now, floor=floor)
    if changed is None:
        return None
    figures = changed.figures
    movement_id = session.execute(
        insert(movements_t)
        .values(
            stock_id=stock_id,
            variant_id=label.variant_id,
            location_id=label.location_id,
            type=type_.value,
            quantity=delta,
            on_hand_after=figures.on_hand,
            reason=reason,
            reference=reference,
            created_at=now,
        )
        .returning(movements_t.c.id)
    ).scalar_one()
    movement = Movement(
        id=f"mov_{movement_id}",
        sku=label.sku,
        location=label.location,
        type=type_,
        quantity=delta,
        on_hand_after=figures.on_hand,
        reason=reason,
        reference=reference,
        created_at=now,
    )
    emit = emit or events.session_emitter(session)
    emit(
        events.CHANGED,
        {
            "sku": label.sku,
            "location": label.location,
            "movement_id": movement.id,
            "type": type_.value,
            "quantity": delta,
            "on_hand": figures.on_hand,
            "available": figures.available,
        },
    )
    committed = figures.reserved + figures.allocated + figures.safety_stock
    before = max(0, figures.on_hand - delta - committed)
    threshold = changed.low_stock_threshold
    if events.crossed_low(before=before, after=figures.available, threshold=threshold):
        emit(
            events.LOW_STOCK,
            events.low_stock_payload(
                sku=label.sku,
                location=label.location,
                available=figures.available,
                threshold=threshold,
            ),
        )
    return movement


def _movement_type(value: MovementType | str) -> MovementType:
    try:
        return MovementType(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown movement type {value!r}",
            errors=[field_error("body.type", f"one of {', '.join(MovementType)}")],
        ) from None


def _refuse(
    session: Session,
    stock_id: int,
    label: StockLabel,
    type_: MovementType,
    quantity: int,
    now: datetime,
) -> None:
    live = read_stock(session, now=now, stock_ids=[stock_id])[(label.variant_id, label.location_id)]
    if type_ is MovementType.SALE:
        short = {"sku": label.sku, "location": label.location, "requested": quantity}
        raise OutOfStock([{**short, "available": live.figures.available}])
    raise InvalidState(
        f"On hand of {label.sku} at {label.location} is {live.figures.on_hand}: taking "
        f"{abs(quantity)} would leave it below zero"
    )


def record(
    *,
    uow: UnitOfWork,
    sku: str,
    location: str,
    type: str,
    quantity: int,
    reason: str | None = None,
    reference: str | None = None,
) -> Movement:
    """The use case behind POST /v1/inventory/movements."""
    with uow:
        movement = record_movement(
            session=uow.session,
            sku=sku,
            location=location,
            type=type,
            quantity=quantity,
            reason=reason,
            reference=reference,
            emit=uow.emit,
        )
        uow.commit()
        return movement


def list_movements(
    *, uow: UnitOfWork, sku: str, after: int | None, limit: int, location: str | None = None
) -> tuple[list[Movement], bool]:
    """The ledger of one SKU, oldest first (keyset on the ledger id); True if more follow."""
    with uow:
        variant = variants_by_sku(session=uow.session, skus=[sku]).get(sku)
        if variant is None:
            raise NotFound(f"No SKU {sku!r}")
        stmt = (
            select(MovementRow, LocationRow.code)
            .join(LocationRow, LocationRow.id == MovementRow.location_id)
            .where(MovementRow.variant_id == variant.variant_id)
            .order_by(MovementRow.id)
            .limit(limit + 1)
        )
        if after is not None:
            stmt = stmt.where(MovementRow.id > after)
        if location is not None:
            stmt = stmt.where(LocationRow.code == location)
        rows = uow.session.execute(stmt).all()
        result = [
            Movement(
                id=f"mov_{row.id}",
                sku=sku,
                location=code,
                type=MovementType(row.type),
                quantity=row.quantity,
                on_hand_after=row.on_hand_after,
                reason=row.reason,
                reference=row.reference,
                created_at=row.created_at,
            )
            for row, code in rows[:limit]
        ]
        return result, len(rows) > limit
