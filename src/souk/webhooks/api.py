"""Webhook endpoints and their deliveries (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, SettingsDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.webhooks import deliveries, endpoints
from souk.webhooks.schemas import (
    DeliveryStatus,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookSecretRotated,
)

router = APIRouter(tags=["webhooks"], responses=PROBLEM_RESPONSES)
EndpointIdPath = Annotated[str, Path(max_length=40, pattern=r"^whe_[0-9a-f]+$")]
DeliveryIdPath = Annotated[str, Path(max_length=40, pattern=r"^msg_[0-9a-f]+$")]


@router.post("/v1/webhook-endpoints", status_code=201, response_model=WebhookEndpointCreated)
def create_endpoint(
    data: WebhookEndpointCreate, uow: UowDep, settings: SettingsDep, _: AdminDep
) -> WebhookEndpointCreated:
    return endpoints.create_endpoint(
        uow=uow, data=data, allow_private=settings.webhook_allow_private
    )


@router.get("/v1/webhook-endpoints", response_model=Page[WebhookEndpointRead])
def list_endpoints(uow: ReadUowDep, _: AdminDep) -> Page[WebhookEndpointRead]:
    return Page(data=endpoints.list_endpoints(uow=uow), next_cursor=None)


@router.get("/v1/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointRead)
def get_endpoint(endpoint_id: EndpointIdPath, uow: ReadUowDep, _: AdminDep) -> WebhookEndpointRead:
    return endpoints.get_endpoint(uow=uow, endpoint_id=endpoint_id)


@router.delete("/v1/webhook-endpoints/{endpoint_id}", status_code=204, response_class=Response)
def delete_endpoint(endpoint_id: EndpointIdPath, uow: UowDep, _: AdminDep) -> Response:
    endpoints.delete_endpoint(uow=uow, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.post(
    "/v1/webhook-endpoints/{endpoint_id}/secret/rotate", response_model=WebhookSecretRotated
)
def rotate_secret(
    endpoint_id: EndpointIdPath, uow: UowDep, settings: SettingsDep, _: AdminDep
) -> WebhookSecretRotated:
    return endpoints.rotate_secret(
        uow=uow, endpoint_id=endpoint_id, overlap_s=settings.webhook_secret_overlap_s
    )


@router.get(
    "/v1/webhook-endpoints/{endpoint_id}/deliveries", response_model=Page[WebhookDeliveryRead]
)
def list_deliveries(
    endpoint_id: EndpointIdPath,
    uow: ReadUowDep,
    _: AdminDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[WebhookDeliveryRead]:
    data, next_cursor = deliveries.list_deliveries(
        uow=uow, endpoint_id=endpoint_id, status=status, limit=limit, cursor=cursor
    )
    return Page(data=data, next_cursor=next_cursor)


@router.post(
    "/v1/webhook-deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=WebhookDeliveryRead,
)
def replay_delivery(delivery_id: DeliveryIdPath, uow: UowDep, _: AdminDep) -> WebhookDeliveryRead:
    return deliveries.replay(uow=uow, delivery_id=delivery_id)
