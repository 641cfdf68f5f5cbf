"""Inventory by SKU × location: the figures, the movement ledger, counts and transfers.

Counts and adjustments go through the same use case as `POST /v1/inventory/movements`,
transfers through `POST /v1/inventory/transfers`, each checked by the API's own schema.
A store manager sees and counts only their stores' stock and moves nothing between stores.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from souk.api.deps import ReadUowDep, UowDep
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, SoukError
from souk.inventory import availability, movements, transfers
from souk.inventory.schemas import SKU_PATTERN, MovementCreate, TransferCreate
from souk.pages.common.validation import validated
from souk.pages.console.rendering import OR_EMPTY, PageRoute, render
from souk.pages.console.session import FormDep, StaffContext, require_store, screen
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
InventoryScreen = Annotated[StaffContext, screen(Screen.INVENTORY)]
Sku = Annotated[str, Query(max_length=64, pattern=OR_EMPTY % SKU_PATTERN)]
LEDGER_SIZE = 50
DONE = {"count": "Count recorded.", "adjustment": "Adjustment recorded.",
        "receipt": "Receipt recorded.", "damage": "Damage recorded.",
        "transfer": "Transfer requested."}  # fmt: skip


def inventory_page(
    request: Request,
    staff: StaffContext,
    uow: UnitOfWork,
    *,
    sku: str,
    errors: SoukError | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    figures: list[Any] = []
    ledger: list[Any] = []
    stores = staff.member.stores if staff.member.bound_to_stores else None
    if sku:
        figures = availability.stock_of(uow=uow, sku=sku)
        found, _ = movements.list_movements(
            uow=UnitOfWork(uow.db, write=False), sku=sku, after=None, limit=LEDGER_SIZE
        )
        ledger = found
        if stores is not None:
            figures = [f for f in figures if f.location in stores]
            ledger = [m for m in ledger if m.location in stores]
    return render(
        request, "inventory.html", status=errors.status if errors else 200, title="Inventory",
        sku=sku, figures=figures, ledger=ledger, errors=errors, values=values or {},
        notice=notice, may_transfer=not staff.member.bound_to_stores,
    )  # fmt: skip


@router.get("/admin/inventory")
def inventory(
    request: Request,
    staff: InventoryScreen,
    uow: ReadUowDep,
    sku: Sku = "",
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return inventory_page(request, staff, uow, sku=sku, notice=DONE.get(done, ""))


def _shown_sku(sku: str) -> str:
    """The SKU to show the figures of after a refused form: none if it is not a SKU."""
    return sku if re.fullmatch(SKU_PATTERN, sku) and len(sku) <= 64 else ""


def _refused(
    request: Request, staff: StaffContext, uow: UnitOfWork, exc: SoukError, values: dict[str, str]
) -> Response:
    """The screen again, with the errors and what was typed; nothing was changed."""
    return inventory_page(
        request, staff, UnitOfWork(uow.db, write=False), sku=_shown_sku(values["sku"]),
        errors=exc, values=values,
    )  # fmt: skip


@router.post("/admin/inventory/movements")
def record_movement(
    request: Request, staff: InventoryScreen, uow: UowDep, form: FormDep
) -> Response:
    values = {k: form.get(k) for k in ("sku", "location", "type", "quantity", "reason")}
    try:
        data = validated(MovementCreate, {**values, "reason": values["reason"] or None})
        require_store(staff, data.location)
        movements.record(
            uow=uow, sku=data.sku, location=data.location, type=data.type,
            quantity=data.quantity, reason=data.reason, reference=f"console:{staff.member.id}",
        )  # fmt: skip
    except SoukError as exc:
        return _refused(request, staff, uow, exc, values)
    return RedirectResponse(f"/admin/inventory?sku={data.sku}&done={data.type}", status_code=303)


@router.post("/admin/inventory/transfers")
def request_transfer(
    request: Request, staff: InventoryScreen, uow: UowDep, form: FormDep
) -> Response:
    values = {k: form.get(k) for k in ("sku", "from", "to", "quantity")}
    try:
        if staff.member.bound_to_stores:
            raise Forbidden("Transfers between stores are requested by operations")
        data = validated(TransferCreate, values)
        transfers.request_transfer(
            uow=uow, sku=data.sku, from_location=data.from_, to_location=data.to,
            quantity=data.quantity, reference=f"console:{staff.member.id}",
        )  # fmt: skip
    except SoukError as exc:
        return _refused(request, staff, uow, exc, values)
    return RedirectResponse(f"/admin/inventory?sku={data.sku}&done=transfer", status_code=303)
