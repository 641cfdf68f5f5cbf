"""Orders across every channel, filterable, and each order's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from souk.api.deps import ReadUowDep
from souk.api.pagination import Cursor
from souk.customers.schemas import ID_PATTERN
from souk.orders import reads
from souk.orders.models import OrderStatus
from souk.orders.schemas import OrderRead
from souk.pages.console.rendering import OR_EMPTY, PageRoute, one_of, render
from souk.pages.console.session import StaffContext, principal_for, screen
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
OrdersScreen = Annotated[StaffContext, screen(Screen.ORDERS)]
PAGE_SIZE = 25


@router.get("/admin/orders")
def orders_list(
    request: Request,
    staff: OrdersScreen,
    uow: ReadUowDep,
    channel: Annotated[str, Query(max_length=64, pattern=OR_EMPTY % ID_PATTERN)] = "",
    status: Annotated[str, Query(pattern=one_of(OrderStatus))] = "",
    customer: Annotated[str, Query(max_length=40, pattern=OR_EMPTY % ID_PATTERN)] = "",
    order: Annotated[str, Query(max_length=40, pattern=OR_EMPTY % ID_PATTERN)] = "",
    cursor: Cursor = None,
) -> Response:
    if order:
        return RedirectResponse(f"/admin/orders/{order}", status_code=303)
    rows, next_cursor = reads.orders_page(
        uow=uow,
        principal=principal_for(staff.member),
        channel=channel or None,
        status=status or None,
        customer_id=customer or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    filters = {"channel": channel, "status": status, "customer": customer}
    template = "orders_table.html" if request.headers.get("hx-request") else "orders.html"
    return render(
        request, template, title="Orders", orders=rows, next_cursor=next_cursor,
        filters=filters, statuses=[s.value for s in OrderStatus],
    )  # fmt: skip


def timeline(order: OrderRead) -> list[dict[str, Any]]:
    """What happened to the order, oldest first: its status changes (placed, routed,
    picked, shipped, collected, returned, refunded…) and its shipments' tracking events."""
    events: list[dict[str, Any]] = [
        {"at": h.at, "what": h.status, "note": h.note or ""} for h in order.status_history
    ]
    for fo in order.fulfillment_orders:
        for shipment in fo.get("shipments", []):
            for event in shipment.get("events", []):
                events.append(
                    {"at": event.get("occurred_at") or event.get("at"),
                     "what": f"tracking: {event.get('status')}",
                     "note": f"{shipment.get('carrier', '')} {shipment.get('tracking_number', '')}"}
                )  # fmt: skip
    for event in events:
        if isinstance(event["at"], str):
            event["at"] = datetime.fromisoformat(event["at"])
    return sorted(events, key=lambda e: e["at"])


@router.get("/admin/orders/{order_id}")
def order_detail(
    request: Request,
    staff: OrdersScreen,
    uow: ReadUowDep,
    order_id: Annotated[str, Path(max_length=40, pattern=ID_PATTERN)],
) -> HTMLResponse:
    order = reads.order_for(uow=uow, principal=principal_for(staff.member), order_id=order_id)
    return render(
        request, "order.html", title=f"Order {order.number}", order=order,
        timeline=timeline(order),
    )  # fmt: skip
