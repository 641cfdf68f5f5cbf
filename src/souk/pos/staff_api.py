"""A store manager signs in at the till with their staff account instead of a POS key.

The session is the console's kind (server-side row, Argon2id password, the sign-in guard,
`SOUK_CONSOLE_SESSION_TTL_S`), bound to one of the manager's stores and its POS channel;
its cookie (`souk_till`, HttpOnly, SameSite=Strict, Path=/v1/) counts only with the
session's CSRF token in `X-CSRF-Token`. The body is JSON, which a form on another site
cannot send, so no other site can sign a till in either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from souk.api.auth import CSRF_HEADER, TILL_COOKIE, PosDep
from souk.api.deps import DatabaseDep, SettingsDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.db.uow import UnitOfWork
from souk.errors import Unauthorized
from souk.fulfilment.schemas import CODE
from souk.staff import service, tills

router = APIRouter(prefix="/v1/pos", tags=["pos"], responses=PROBLEM_RESPONSES)
COOKIE_PATH = "/v1/"


class StaffSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    store: Annotated[str, Field(max_length=64, pattern=CODE)] | None = Field(
        default=None, description="One of the manager's stores; default: their first"
    )


class StaffSessionRead(BaseModel):
    staff: str = Field(description="The manager's email")
    name: str
    channel: str = Field(description="The POS channel the till sells in")
    location: str = Field(description="The store the till acts for")
    csrf_token: str = Field(description="Send it as `X-CSRF-Token` with every call")
    expires_at: datetime


@router.post("/staff-session", status_code=201, response_model=StaffSessionRead)
async def sign_in(
    data: StaffSessionCreate, request: Request, response: Response, db: DatabaseDep,
    settings: SettingsDep,
) -> StaffSessionRead:  # fmt: skip
    """Sign a store manager in at the till of one of their stores."""
    _, token, _ = await run_in_threadpool(
        service.sign_in, uow=UnitOfWork(db), email=data.email, password=data.password,
        ttl_s=settings.console_session_ttl_s, guard=request.app.state.signin_guard,
        client_ip=request.client.host if request.client else "-", till_store=data.store or "",
    )  # fmt: skip
    found = await run_in_threadpool(tills.till_session, uow=UnitOfWork(db, write=False),
                                    token=token)  # fmt: skip
    if found is None:  # deactivated in the same instant
        raise Unauthorized("Wrong email or password")
    response.set_cookie(
        TILL_COOKIE, token, max_age=settings.console_session_ttl_s, httponly=True,
        samesite="strict", secure=request.url.scheme == "https", path=COOKIE_PATH,
    )  # fmt: skip
    return StaffSessionRead(
        staff=found.member.email, name=found.member.name, channel=found.channel,
        location=found.store, csrf_token=found.csrf, expires_at=found.expires_at,
    )  # fmt: skip


@router.delete("/staff-session", status_code=204, response_class=Response)
def sign_out(request: Request, db: DatabaseDep, _: PosDep) -> Response:
    """End this till's staff session (a POS key has none: 204 all the same)."""
    token = request.cookies.get(TILL_COOKIE)
    if token and request.headers.get(CSRF_HEADER):
        service.sign_out(uow=UnitOfWork(db), token=token)
    response = Response(status_code=204)
    response.delete_cookie(TILL_COOKIE, path=COOKIE_PATH)
    return response
