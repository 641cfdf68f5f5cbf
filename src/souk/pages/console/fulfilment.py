"""Fulfilment queues per location, with the actions of the state machine.

The buttons a row shows are `allowed_actions` of the fulfilment domain; pressing one calls
the same transition as `POST /v1/fulfillment-orders/{id}/{action}`. A store manager works
only the stores they were given: both this screen and the transition's own check (the
manager acts as a principal bound to that store) refuse another store.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from souk.api.deps import ReadUowDep, SettingsDep, UowDep
from souk.api.pagination import Cursor
from souk.db.uow import UnitOfWork
from souk.errors import SoukError
from souk.fulfilment import reads, rerouting, transitions
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import Action, FoStatus, FoType, allowed_actions
from souk.fulfilment.schemas import CODE, CollectBody, RejectBody, ShipBody
from souk.inventory.locations import list_locations
from souk.pages.common.validation import validated
from souk.pages.console.rendering import OR_EMPTY, PageRoute, one_of, render
from souk.pages.console.session import FormDep, StaffContext, principal_for, require_store, screen
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FulfilmentScreen = Annotated[StaffContext, screen(Screen.FULFILMENT)]
Code = Annotated[str, Query(max_length=64, pattern=OR_EMPTY % CODE)]
PAGE_SIZE = 25
DONE = {a.value: f"Done: {a.value}." for a in Action}


def _locations(uow: UnitOfWork, staff: StaffContext) -> list[str]:
    if staff.member.bound_to_stores:
        return list(staff.member.stores)
    found, _ = list_locations(uow=uow, after=None, limit=500)
    return [loc.code for loc in found]


def queue_page(
    request: Request,
    staff: StaffContext,
    uow: UnitOfWork,
    *,
    location: str | None,
    status: FoStatus | None,
    cursor: str | None = None,
    action_error: tuple[str, SoukError] | None = None,
    typed: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    locations = _locations(UnitOfWork(uow.db, write=False), staff)
    if staff.member.bound_to_stores:
        location = location or locations[0]
    if location:
        require_store(staff, location)
    rows, next_cursor = reads.work_queue(
        uow=uow, principal=principal_for(staff.member, location), location=location or None,
        status=status, order_id=None, limit=PAGE_SIZE, cursor=cursor,
    )  # fmt: skip
    # Cancelling belongs to the order (its cancel use case), not to a location's queue.
    queue: list[dict[str, Any]] = [
        {
            "fo": fo,
            "actions": [
                a.value
                for a in allowed_actions(FoType(fo.type), FoStatus(fo.status))
                if a is not Action.CANCEL
            ],
        }
        for fo in rows
    ]
    return render(
        request, "fulfilment.html", status=action_error[1].status if action_error else 200,
        title="Fulfilment", queue=queue, locations=locations, location=location or "",
        status_filter=status.value if status else "", statuses=[s.value for s in FoStatus],
        next_cursor=next_cursor, action_error=action_error, typed=typed or {}, notice=notice,
    )  # fmt: skip


@router.get("/admin/fulfilment")
def queue(
    request: Request,
    staff: FulfilmentScreen,
    uow: ReadUowDep,
    location: Code = "",
    status: Annotated[str, Query(pattern=one_of(FoStatus))] = "",
    cursor: Cursor = None,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return queue_page(
        request, staff, uow, location=location or None,
        status=FoStatus(status) if status else None, cursor=cursor,
        notice=DONE.get(done, ""),
    )  # fmt: skip


def _act(
    uow: UnitOfWork, staff: StaffContext, settings: Any, fo_id: str, action: Action, form: Any
) -> None:
    location = form.get("location") or None
    if location:
        require_store(staff, location)
    principal = principal_for(staff.member, location)
    if action in (Action.ACCEPT, Action.PACK, Action.DELIVER):
        transitions.simple_transition(uow=uow, principal=principal, fo_id=fo_id, action=action)
    elif action is Action.SHIP:
        body = validated(ShipBody, {"carrier": form.get("carrier"),
                                    "tracking_number": form.get("tracking_number")})  # fmt: skip
        transitions.ship(uow=uow, principal=principal, fo_id=fo_id, carrier=body.carrier,
                         tracking_number=body.tracking_number)  # fmt: skip
    elif action is Action.READY:
        transitions.ready(uow=uow, principal=principal, fo_id=fo_id)
    elif action is Action.COLLECT:
        collect = validated(CollectBody, {"pickup_code": form.get("pickup_code")})
        transitions.collect(uow=uow, principal=principal, fo_id=fo_id,
                            pickup_code=collect.pickup_code)  # fmt: skip
    elif action is Action.REJECT:
        reject = validated(RejectBody, {"reason": form.get("reason")})
        rerouting.reject(uow=uow, principal=principal, fo_id=fo_id, reason=reject.reason,
                         config=RoutingConfig.from_settings(settings))  # fmt: skip


@router.post("/admin/fulfilment/{fo_id}/{action}")
def act(
    request: Request,
    staff: FulfilmentScreen,
    uow: UowDep,
    settings: SettingsDep,
    form: FormDep,
    fo_id: Annotated[str, Path(max_length=40, pattern=CODE)],
    action: Action,
) -> Response:
    location = form.get("location") or None
    status = form.get("status") or None
    try:
        _act(uow, staff, settings, fo_id, action, form)
    except SoukError as exc:
        return queue_page(
            request, staff, UnitOfWork(uow.db, write=False), location=location,
            status=FoStatus(status) if status in set(FoStatus) else None,
            action_error=(fo_id, exc),
            typed={k: form.get(k) for k in ("carrier", "tracking_number", "reason")},
        )  # fmt: skip
    target = f"/admin/fulfilment?done={action.value}"
    if location:
        target += f"&location={location}"
    return RedirectResponse(target, status_code=303)
