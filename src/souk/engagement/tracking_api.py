"""The links inside messages (no API key: the message's unguessable token is the
credential): one-click unsubscribe (RFC 8058), the open pixel, the click redirect."""

from __future__ import annotations

import base64
import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from souk.api.deps import DatabaseDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.engagement import tracking

router = APIRouter(prefix="/v1", tags=["engagement: links"], responses=PROBLEM_RESPONSES)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/unsubscribe/{token}", response_model=dict[str, bool])
def unsubscribe(token: str, db: DatabaseDep) -> dict[str, bool]:
    """What a mail client POSTs (`List-Unsubscribe=One-Click`): the consent for this
    message's purpose on its channel is withdrawn, in the profile's consent history."""
    tracking.unsubscribe(db=db, token=token)
    return {"unsubscribed": True}


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str) -> HTMLResponse:
    """A page with one button: RFC 8058 forbids unsubscribing on a GET, which link
    scanners follow on their own."""
    action = html.escape(f"/v1/unsubscribe/{token}")
    return HTMLResponse(
        "<!doctype html><title>Unsubscribe</title>"
        f'<form method="post" action="{action}"><button>Unsubscribe</button></form>',
        headers=NO_STORE,
    )


@router.get("/t/o/{token}.gif", response_class=Response)
def open_pixel(token: str, db: DatabaseDep) -> Response:
    tracking.opened(db=db, token=token)
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/t/c/{token}/{link}", response_class=RedirectResponse, status_code=302)
def click(token: str, link: int, db: DatabaseDep) -> RedirectResponse:
    return RedirectResponse(tracking.clicked(db=db, token=token, link=link), status_code=302)
