"""Webhook endpoints, their deliveries and the dead-letter list, through the webhooks
domain's own services (the same the API calls); a failed delivery can be sent again."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor
from souk.db.uow import UnitOfWork
from souk.errors import SoukError
from souk.pages.console.rendering import OR_EMPTY, PageRoute, render
from souk.pages.console.session import FormDep, StaffContext, screen
from souk.staff.models import Screen
from souk.webhooks import deliveries, endpoints
from souk.webhooks.schemas import DeliveryStatus, WebhookDeliveryRead

router = APIRouter(route_class=PageRoute, include_in_schema=False)
WebhooksScreen = Annotated[StaffContext, screen(Screen.WEBHOOKS)]
PAGE_SIZE = 25
ID = r"^[A-Za-z0-9_-]{1,40}$"
STATUSES = get_args(DeliveryStatus)


def webhooks_page(
    request: Request,
    uow_read: UnitOfWork,
    *,
    endpoint: str,
    status: str,
    cursor: str | None,
    errors: SoukError | None = None,
    replayed: str = "",
) -> Response:
    listed = endpoints.list_endpoints(uow=UnitOfWork(uow_read.db, write=False))
    shown: list[WebhookDeliveryRead] = []
    next_cursor: str | None = None
    if endpoint and errors is None:
        try:
            shown, next_cursor = deliveries.list_deliveries(
                uow=UnitOfWork(uow_read.db, write=False), endpoint_id=endpoint,
                status=status or None,  # type: ignore[arg-type]
                limit=PAGE_SIZE, cursor=cursor,
            )  # fmt: skip
        except SoukError as exc:
            errors = exc
    return render(
        request, "webhooks.html", status=errors.status if errors else 200, title="Webhooks",
        endpoints=listed, endpoint=endpoint, status_filter=status, statuses=STATUSES,
        deliveries=shown, next_cursor=next_cursor, errors=errors, replayed=replayed,
    )  # fmt: skip


@router.get("/admin/webhooks")
def webhooks(
    request: Request,
    _: WebhooksScreen,
    uow: ReadUowDep,
    endpoint: Annotated[str, Query(pattern=OR_EMPTY % ID)] = "",
    status: Annotated[str, Query(pattern="^(" + "|".join(STATUSES) + ")?$")] = "",
    cursor: Cursor = None,
    replayed: Annotated[str, Query(pattern=OR_EMPTY % ID)] = "",
) -> Response:
    return webhooks_page(
        request, uow, endpoint=endpoint, status=status, cursor=cursor, replayed=replayed
    )


@router.post("/admin/webhooks/deliveries/{delivery_id}/replay")
def replay(
    request: Request,
    _: WebhooksScreen,
    uow: UowDep,
    form: FormDep,
    delivery_id: Annotated[str, Path(pattern=ID)],
) -> Response:
    endpoint = form.get("endpoint") or ""
    try:
        done = deliveries.replay(uow=uow, delivery_id=delivery_id)
    except SoukError as exc:
        return webhooks_page(
            request, UnitOfWork(uow.db, write=False), endpoint=endpoint, status="",
            cursor=None, errors=exc,
        )  # fmt: skip
    return RedirectResponse(
        f"/admin/webhooks?endpoint={done.endpoint_id}&replayed={done.id}", status_code=303
    )
