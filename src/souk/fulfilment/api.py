"""Fulfilment orders (admin, or a POS key for its own store), shipments and the carrier
tracking webhook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from souk.access.models import Principal, Role
from souk.api.auth import AdminDep, AdminOrPosDep, optional_api_key
from souk.api.deps import ReadUowDep, SettingsDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, Unauthorized, ValidationFailed, field_error
from souk.fulfilment import pickup, reads, rerouting, tracking, transitions
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.models import Action, FoStatus
from souk.fulfilment.schemas import (
    CODE,
    CollectBody,
    DiscrepancyRead,
    FulfillmentHoldRead,
    FulfillmentOrderRead,
    PickupProposalRead,
    RejectBody,
    ShipBody,
    ShipmentRead,
    TrackingEventCreate,
)

router = APIRouter(tags=["fulfilment"], responses=PROBLEM_RESPONSES)
FO = "/v1/fulfillment-orders/{fo_id}"
Code = Annotated[str | None, Query(max_length=64, pattern=CODE)]
Id = Annotated[str, Path(max_length=40, pattern=CODE)]


@router.get("/v1/fulfillment-orders", response_model=Page[FulfillmentOrderRead])
def work_queue(
    uow: ReadUowDep,
    principal: AdminOrPosDep,
    location: Code = None,
    status: FoStatus | None = None,
    order: Annotated[str | None, Query(max_length=40, pattern=CODE)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FulfillmentOrderRead]:
    data, next_cursor = reads.work_queue(
        uow=uow, principal=principal, location=location, status=status, order_id=order,
        limit=limit, cursor=cursor,
    )  # fmt: skip
    return Page(data=data, next_cursor=next_cursor)


@router.get(FO, response_model=FulfillmentOrderRead)
def get_fulfillment_order(
    fo_id: Id, uow: ReadUowDep, principal: AdminOrPosDep
) -> FulfillmentOrderRead:
    return reads.get_fulfillment_order(uow=uow, principal=principal, fo_id=fo_id)


@router.post(FO + "/accept", response_model=FulfillmentOrderRead)
def accept(fo_id: Id, uow: UowDep, principal: AdminOrPosDep) -> FulfillmentOrderRead:
    return transitions.simple_transition(
        uow=uow, principal=principal, fo_id=fo_id, action=Action.ACCEPT
    )


@router.post(FO + "/pack", response_model=FulfillmentOrderRead)
def pack(fo_id: Id, uow: UowDep, principal: AdminOrPosDep) -> FulfillmentOrderRead:
    return transitions.simple_transition(
        uow=uow, principal=principal, fo_id=fo_id, action=Action.PACK
    )


@router.post(FO + "/deliver", response_model=FulfillmentOrderRead)
def deliver(fo_id: Id, uow: UowDep, principal: AdminOrPosDep) -> FulfillmentOrderRead:
    return transitions.simple_transition(
        uow=uow, principal=principal, fo_id=fo_id, action=Action.DELIVER
    )


@router.post(FO + "/reject", response_model=FulfillmentOrderRead)
def reject(
    fo_id: Id, data: RejectBody, uow: UowDep, principal: AdminOrPosDep, settings: SettingsDep
) -> FulfillmentOrderRead:
    return rerouting.reject(
        uow=uow, principal=principal, fo_id=fo_id, reason=data.reason,
        config=RoutingConfig.from_settings(settings),
    )  # fmt: skip


@router.post(FO + "/ship", response_model=FulfillmentOrderRead)
def ship(fo_id: Id, data: ShipBody, uow: UowDep, principal: AdminOrPosDep) -> FulfillmentOrderRead:
    return transitions.ship(
        uow=uow, principal=principal, fo_id=fo_id, carrier=data.carrier,
        tracking_number=data.tracking_number,
    )  # fmt: skip


@router.post(FO + "/ready", response_model=FulfillmentOrderRead)
def ready(fo_id: Id, uow: UowDep, principal: AdminOrPosDep) -> FulfillmentOrderRead:
    return transitions.ready(uow=uow, principal=principal, fo_id=fo_id)


@router.post(FO + "/collect", response_model=FulfillmentOrderRead)
def collect(
    fo_id: Id, data: CollectBody, uow: UowDep, principal: AdminOrPosDep
) -> FulfillmentOrderRead:
    return transitions.collect(
        uow=uow, principal=principal, fo_id=fo_id, pickup_code=data.pickup_code
    )


@router.get("/v1/shipments/{shipment_id}", response_model=ShipmentRead)
def get_shipment(shipment_id: Id, uow: ReadUowDep, principal: AdminOrPosDep) -> ShipmentRead:
    return tracking.get_shipment(uow=uow, principal=principal, shipment_id=shipment_id)


async def carrier_or_admin(
    request: Request,
    shipment_id: Id,
    settings: SettingsDep,
    principal: Annotated[Principal | None, Depends(optional_api_key)],
    signature: Annotated[str | None, Header(alias="X-Carrier-Signature")] = None,
) -> None:
    """An admin key, or the body signed with the shipment's carrier's secret."""
    if signature is not None:
        carrier = tracking.carrier_of(uow=UnitOfWork(request.app.state.db, write=False),
                                      shipment_id=shipment_id)  # fmt: skip
        tracking.verify_signature(
            secrets=settings.carrier_webhook_secrets, carrier=carrier,
            body=await request.body(), signature=signature,
        )  # fmt: skip
        return
    if principal is None:
        raise Unauthorized("Send an admin key or sign the body (`X-Carrier-Signature`)")
    if principal.role is not Role.ADMIN:
        raise Forbidden("Tracking events come from an admin key or a signed carrier webhook")


@router.post(
    "/v1/shipments/{shipment_id}/tracking-events",
    response_model=ShipmentRead,
    status_code=201,
    dependencies=[Depends(carrier_or_admin)],
    responses={200: {"model": ShipmentRead, "description": "A redelivered event: no change"}},
)
def tracking_event(
    shipment_id: Id, data: TrackingEventCreate, uow: UowDep, response: Response
) -> ShipmentRead:
    shipment, new = tracking.record_tracking_event(uow=uow, shipment_id=shipment_id, data=data)
    if not new:
        response.status_code = 200
    return shipment


@router.get("/v1/pickup-proposals", response_model=PickupProposalRead)
def pickup_proposal(
    uow: ReadUowDep,
    principal: AdminOrPosDep,
    settings: SettingsDep,
    location: Annotated[str, Query(min_length=1, max_length=64, pattern=CODE)],
    sku: Annotated[str, Query(min_length=1, max_length=64, pattern=CODE)],
    quantity: Annotated[int, Query(ge=1, le=10_000)] = 1,
    channel: Code = None,
) -> PickupProposalRead:
    reads.check_location(principal, location)
    network = channel or principal.channel
    if network is None:
        raise ValidationFailed(
            "Say which channel's locations may send a transfer",
            errors=[field_error("query.channel", "required with an admin key")],
        )
    return pickup.propose(
        uow=uow, channel=network, store=location, sku=sku, quantity=quantity,
        config=RoutingConfig.from_settings(settings),
    )  # fmt: skip


@router.get("/v1/fulfillment-holds", response_model=list[FulfillmentHoldRead])
def holds(
    uow: ReadUowDep,
    _: AdminDep,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
    order: Annotated[str | None, Query(max_length=40, pattern=CODE)] = None,
) -> list[FulfillmentHoldRead]:
    return reads.list_holds(uow=uow, status=status, order_id=order)


@router.get("/v1/stock-discrepancies", response_model=list[DiscrepancyRead])
def discrepancies(
    uow: ReadUowDep,
    principal: AdminOrPosDep,
    location: Code = None,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
) -> list[DiscrepancyRead]:
    return reads.list_discrepancies(uow=uow, principal=principal, location=location, status=status)
