"""Any other path under /admin: the console's own "not found" page, not the API's JSON.
Included last, so that it never shadows a screen."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from souk.pages.console.rendering import PageRoute, error_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/admin/{rest:path}")
def not_found(request: Request, rest: str) -> HTMLResponse:
    return error_page(request, 404, "There is no such page in the console", [])
