"""Webhooks and their deliveries: a placeholder. The webhooks domain (src/souk/webhooks/)
is being built apart; once it lands, this screen lists its endpoints and deliveries
through its service, like every other screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from souk.pages.console.rendering import PageRoute, render
from souk.pages.console.session import StaffContext, screen
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/admin/webhooks")
def webhooks(request: Request, _: Annotated[StaffContext, screen(Screen.WEBHOOKS)]) -> HTMLResponse:
    return render(request, "webhooks.html", title="Webhooks")
