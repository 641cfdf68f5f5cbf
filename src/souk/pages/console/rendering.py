"""Rendering console pages, and turning what services raise into pages instead of JSON.

`PageRoute` wraps every console route: a `SoukError` becomes the error page with its
status and its field errors, invalid query or path parameters become a 422 page listing
them, a missing session a redirect to the sign-in. Never a stack trace, never JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from souk.errors import SoukError
from souk.pages.common.headers import page_headers
from souk.pages.common.templating import make_environment
from souk.staff.models import Screen

TEMPLATES = make_environment(Path(__file__).parent / "templates")
TEMPLATES.globals["nav"] = [
    (Screen.DASHBOARD, "Dashboard", "/admin/dashboard"),
    (Screen.ORDERS, "Orders", "/admin/orders"),
    (Screen.FULFILMENT, "Fulfilment", "/admin/fulfilment"),
    (Screen.INVENTORY, "Inventory", "/admin/inventory"),
    (Screen.CATALOG, "Catalog", "/admin/catalog"),
    (Screen.CUSTOMERS, "Customers", "/admin/customers"),
    (Screen.MARKETING, "Promotions & loyalty", "/admin/marketing"),
    (Screen.WEBHOOKS, "Webhooks", "/admin/webhooks"),
]


# Filter forms send every field, the empty ones too: "" means "any".
OR_EMPTY = "(?:%s)|^$"


def one_of(values: Iterable[str]) -> str:
    return "^(?:" + "|".join(re.escape(v) for v in values) + ")?$"


class SignInRequired(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def render(
    request: Request, template: str, *, status: int = 200, private: bool = True, **context: Any
) -> HTMLResponse:
    staff = getattr(request.state, "staff", None)
    context.setdefault("notice", "")
    html = TEMPLATES.get_template(template).render(
        request=request,
        staff=staff.member if staff else None,
        csrf=staff.csrf if staff else "",
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=page_headers(private=private))


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
        out.append({"field": ".".join(location) or "request", "message": str(error.get("msg"))})
    return out


def error_page(request: Request, status: int, detail: str, errors: list[Any]) -> HTMLResponse:
    return render(request, "error.html", status=status, detail=detail, errors=errors)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as exc:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                return RedirectResponse(
                    f"/admin/sign-in?next={quote(target)}&reason={exc.reason}", status_code=303
                )
            except RequestValidationError as exc:
                return error_page(
                    request, 422, "Some of the values are not valid", _field_errors(exc)
                )
            except SoukError as exc:
                response = error_page(request, exc.status, exc.detail, exc.errors)
                response.headers.update(exc.headers())
                return response

        return page_handler
