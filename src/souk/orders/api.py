"""Orders over HTTP: the operator's (and a store's) view, imports, cancellation, and the
customer's own orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from souk.api.auth import AdminDep, AdminOrPosDep, StorefrontDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.customers.deps import CustomerDep
from souk.customers.schemas import ID_PATTERN, IdPath
from souk.orders import cancel, imports, reads
from souk.orders.models import OrderStatus
from souk.orders.schemas import OrderCancel, OrderImport, OrderRead

router = APIRouter(tags=["orders"], responses=PROBLEM_RESPONSES)


@router.get("/v1/orders", response_model=Page[OrderRead])
def list_orders(
    uow: ReadUowDep,
    principal: AdminOrPosDep,
    channel: Annotated[str | None, Query(max_length=64, pattern=ID_PATTERN)] = None,
    status: OrderStatus | None = None,
    customer: Annotated[str | None, Query(max_length=40, pattern=ID_PATTERN)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrderRead]:
    rows, next_cursor = reads.orders_page(
        uow=uow,
        principal=principal,
        channel=channel,
        status=status.value if status else None,
        customer_id=customer,
        limit=limit,
        cursor=cursor,
    )
    return Page[OrderRead](data=rows, next_cursor=next_cursor)


@router.post(
    "/v1/orders/import",
    status_code=201,
    response_model=OrderRead,
    responses={200: {"model": OrderRead, "description": "Already imported: the first order"}},
)
def import_order(data: OrderImport, uow: UowDep, _: AdminDep, response: Response) -> OrderRead:
    order, created = imports.import_order(uow=uow, data=data)
    if not created:
        response.status_code = 200
    return order


@router.get("/v1/orders/{order_id}", response_model=OrderRead)
def get_order(order_id: IdPath, uow: ReadUowDep, principal: AdminOrPosDep) -> OrderRead:
    return reads.order_for(uow=uow, principal=principal, order_id=order_id)


@router.post("/v1/orders/{order_id}/cancel", response_model=OrderRead)
def cancel_order(
    order_id: IdPath, uow: UowDep, _: AdminDep, data: OrderCancel | None = None
) -> OrderRead:
    return cancel.cancel_order(uow=uow, order_id=order_id, reason=data.reason if data else None)


@router.get("/v1/customers/me/orders", response_model=Page[OrderRead])
def my_orders(
    uow: ReadUowDep,
    customer: CustomerDep,
    _: StorefrontDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrderRead]:
    rows, next_cursor = reads.customer_orders(
        uow=uow, customer_id=customer, limit=limit, cursor=cursor
    )
    return Page[OrderRead](data=rows, next_cursor=next_cursor)


@router.get("/v1/customers/me/orders/{order_id}", response_model=OrderRead)
def my_order(
    order_id: IdPath, uow: ReadUowDep, customer: CustomerDep, _: StorefrontDep
) -> OrderRead:
    return reads.customer_order(uow=uow, customer_id=customer, order_id=order_id)
