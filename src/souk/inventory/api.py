"""Inventory (admin; reads also for a POS key, limited to its own store)."""

from __future__ import annotations

from fastapi import APIRouter

from souk.access.models import Principal
from souk.api.auth import AdminDep, AdminOrPosDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from souk.api.problems import PROBLEM_RESPONSES
from souk.errors import Forbidden
from souk.inventory import availability, movements, reservation_service, stock_settings, transfers
from souk.inventory.models import Movement, ReservationInfo, ReserveLine, StockFigures
from souk.inventory.schemas import (
    CodePath,
    Figures,
    IdPath,
    LocationFigures,
    LocationQuery,
    MovementCreate,
    MovementRead,
    ReservationCreate,
    ReservationRead,
    ReservedLineRead,
    SkuPath,
    StockRead,
    StockSettings,
    TransferCreate,
    TransferRead,
)

router = APIRouter(prefix="/v1/inventory", tags=["inventory"], responses=PROBLEM_RESPONSES)


def _movement_read(m: Movement) -> MovementRead:
    return MovementRead(
        id=m.id,
        sku=m.sku,
        location=m.location,
        type=m.type,
        quantity=m.quantity,
        on_hand_after=m.on_hand_after,
        reason=m.reason,
        reference=m.reference,
        created_at=m.created_at,
    )


def _reservation_read(info: ReservationInfo) -> ReservationRead:
    return ReservationRead(
        id=info.id,
        channel=info.channel,
        status=info.status,
        reference=info.reference,
        expires_at=info.expires_at,
        created_at=info.created_at,
        lines=[ReservedLineRead(sku=s, location=loc, quantity=q) for s, loc, q in info.lines],
    )


def _transfer_read(t: transfers.Transfer) -> TransferRead:
    return TransferRead.model_validate(
        {
            "id": t.id,
            "sku": t.sku,
            "from": t.from_location,
            "to": t.to_location,
            "quantity": t.quantity,
            "status": t.status,
            "reference": t.reference,
            "created_at": t.created_at,
            "shipped_at": t.shipped_at,
            "received_at": t.received_at,
            "cancelled_at": t.cancelled_at,
        }
    )


def _own_location(principal: Principal, location: str | None) -> str | None:
    """A POS key sees its own store only."""
    if principal.is_admin:
        return location
    if location is not None and location != principal.location:
        raise Forbidden("A POS key reads its own store's stock only")
    return principal.location


@router.post("/movements", status_code=201, response_model=MovementRead)
def record_movement(data: MovementCreate, uow: UowDep, _: AdminDep) -> MovementRead:
    movement = movements.record(
        uow=uow,
        sku=data.sku,
        location=data.location,
        type=data.type,
        quantity=data.quantity,
        reason=data.reason,
        reference=data.reference,
    )
    return _movement_read(movement)


@router.post("/transfers", status_code=201, response_model=TransferRead)
def request_transfer(data: TransferCreate, uow: UowDep, _: AdminDep) -> TransferRead:
    transfer = transfers.request_transfer(
        uow=uow,
        sku=data.sku,
        from_location=data.from_,
        to_location=data.to,
        quantity=data.quantity,
        reference=data.reference,
    )
    return _transfer_read(transfer)


@router.get("/transfers/{transfer_id}", response_model=TransferRead)
def get_transfer(transfer_id: IdPath, uow: ReadUowDep, _: AdminDep) -> TransferRead:
    return _transfer_read(transfers.read_transfer(uow=uow, transfer_id=transfer_id))


@router.post("/transfers/{transfer_id}/ship", response_model=TransferRead)
def ship_transfer(transfer_id: IdPath, uow: UowDep, _: AdminDep) -> TransferRead:
    return _transfer_read(
        transfers.advance_transfer(uow=uow, transfer_id=transfer_id, action="ship")
    )


@router.post("/transfers/{transfer_id}/receive", response_model=TransferRead)
def receive_transfer(transfer_id: IdPath, uow: UowDep, _: AdminDep) -> TransferRead:
    return _transfer_read(
        transfers.advance_transfer(uow=uow, transfer_id=transfer_id, action="receive")
    )


@router.post("/transfers/{transfer_id}/cancel", response_model=TransferRead)
def cancel_transfer(transfer_id: IdPath, uow: UowDep, _: AdminDep) -> TransferRead:
    return _transfer_read(
        transfers.advance_transfer(uow=uow, transfer_id=transfer_id, action="cancel")
    )


@router.post("/reservations", status_code=201, response_model=ReservationRead)
def create_reservation(data: ReservationCreate, uow: UowDep, _: AdminDep) -> ReservationRead:
    info = reservation_service.create_reservation(
        uow=uow,
        channel=data.channel,
        lines=[ReserveLine(line.sku, line.quantity, line.location) for line in data.lines],
        expires_in_s=data.expires_in_s,
        reference=data.reference,
    )
    return _reservation_read(info)


@router.get("/reservations/{reservation_id}", response_model=ReservationRead)
def get_reservation(reservation_id: IdPath, uow: ReadUowDep, _: AdminDep) -> ReservationRead:
    info = reservation_service.read_reservation(uow=uow, reservation_id=reservation_id)
    return _reservation_read(info)


@router.delete("/reservations/{reservation_id}", response_model=ReservationRead)
def release_reservation(reservation_id: IdPath, uow: UowDep, _: AdminDep) -> ReservationRead:
    info = reservation_service.cancel_reservation(uow=uow, reservation_id=reservation_id)
    return _reservation_read(info)


def _figures(f: StockFigures) -> dict[str, int]:
    return {
        "on_hand": f.on_hand,
        "reserved": f.reserved,
        "allocated": f.allocated,
        "safety_stock": f.safety_stock,
        "inbound": f.inbound,
        "available": f.available,
    }


@router.get("/{sku}", response_model=StockRead)
def get_stock(
    sku: SkuPath,
    uow: ReadUowDep,
    principal: AdminOrPosDep,
    location: LocationQuery = None,
) -> StockRead:
    rows = availability.stock_of(uow=uow, sku=sku, location=_own_location(principal, location))
    per_location = [LocationFigures(location=r.location, **_figures(r.figures)) for r in rows]
    total = {
        name: sum(getattr(f, name) for f in per_location)
        for name in ("on_hand", "reserved", "allocated", "safety_stock", "inbound", "available")
    }
    return StockRead(sku=sku, total=Figures(**total), locations=per_location)


@router.patch("/{sku}/locations/{location}", response_model=LocationFigures)
def update_stock_settings(
    sku: SkuPath, location: CodePath, data: StockSettings, uow: UowDep, _: AdminDep
) -> LocationFigures:
    found = stock_settings.update(
        uow=uow, sku=sku, location=location, **data.model_dump(exclude_none=True)
    )
    return LocationFigures(location=found.location, **_figures(found.figures))


@router.get("/{sku}/movements", response_model=Page[MovementRead])
def list_movements(
    sku: SkuPath,
    uow: ReadUowDep,
    principal: AdminOrPosDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    location: LocationQuery = None,
) -> Page[MovementRead]:
    key = decode_cursor(cursor)
    after = int(key[0]) if key and isinstance(key[0], int) else None
    found, more = movements.list_movements(
        uow=uow, sku=sku, after=after, limit=limit, location=_own_location(principal, location)
    )
    next_cursor = encode_cursor([int(found[-1].id.removeprefix("mov_"))]) if more else None
    return Page(data=[_movement_read(m) for m in found], next_cursor=next_cursor)
