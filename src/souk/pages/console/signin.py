"""Signing in and out of the console, and `/`, which sends a newcomer here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from souk.api.audit import note_principal
from souk.api.deps import DatabaseDep, SettingsDep, get_uow
from souk.db.uow import UnitOfWork
from souk.errors import RateLimited, Unauthorized
from souk.pages.common.csrf import CSRF_FIELD, PRESESSION_COOKIE, new_csrf_token, tokens_match
from souk.pages.console.rendering import PageRoute, render
from souk.pages.console.session import (
    SESSION_COOKIE,
    FormDep,
    StaffDep,
    current_staff,
    principal_for,
)
from souk.staff import service
from souk.staff.models import Screen, StaffMember

router = APIRouter(route_class=PageRoute, include_in_schema=False)
REASONS = {
    "expired": "Your session has ended: sign in again.",
    "signed-out": "Sign in to use the console.",
    "bye": "You are signed out.",
}
HOME = [
    (Screen.DASHBOARD, "/admin/dashboard"),
    (Screen.ORDERS, "/admin/orders"),
    (Screen.FULFILMENT, "/admin/fulfilment"),
]


def home_of(member: StaffMember) -> str:
    return next((url for s, url in HOME if member.may_open(s)), "/admin/inventory")


def _safe_next(target: str) -> str:
    # Only a console path: never another site (an open redirect) after a sign-in.
    if target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/admin",
    )


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin/")
def console_home_slash() -> RedirectResponse:
    # The address people type with a trailing slash, like /shop/ and /pos/.
    return RedirectResponse("/admin", status_code=308)


@router.get("/admin")
async def console_home(request: Request, db: DatabaseDep) -> Response:
    if SESSION_COOKIE in request.cookies:
        try:
            staff = await current_staff(request, db)
        except Exception:
            return RedirectResponse("/admin/sign-in", status_code=303)
        return RedirectResponse(home_of(staff.member), status_code=303)
    return RedirectResponse("/admin/sign-in", status_code=303)


def _sign_in_page(
    request: Request,
    *,
    status: int = 200,
    next_url: str = "",
    email: str = "",
    message: str = "",
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    token = request.cookies.get(PRESESSION_COOKIE) or new_csrf_token()
    response = render(
        request,
        "sign_in.html",
        status=status,
        private=True,
        presession_csrf=token,
        next_url=next_url,
        email=email,
        message=message,
        errors=errors or {},
    )
    _cookie(response, request, PRESESSION_COOKIE, token, 3600)
    return response


@router.get("/admin/sign-in")
def sign_in_form(
    request: Request,
    next: Annotated[str, Query(max_length=500)] = "",
    reason: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    return _sign_in_page(request, next_url=_safe_next(next), message=REASONS.get(reason, ""))


@router.post("/admin/sign-in")
async def sign_in(
    request: Request, form: FormDep, settings: SettingsDep, db: DatabaseDep
) -> Response:
    next_url = _safe_next(form.get("next"))
    email = form.get("email")[:254]
    if not tokens_match(request.cookies.get(PRESESSION_COOKIE), form.get(CSRF_FIELD)):
        return _sign_in_page(
            request, status=403, next_url=next_url, email=email,
            message="The sign-in form had expired: please sign in again.",
        )  # fmt: skip
    errors = {}
    if not email:
        errors["email"] = "Enter your email address."
    password = form.fields.get("password", [""])[0]
    if not password:
        errors["password"] = "Enter your password."
    if errors:
        return _sign_in_page(request, status=422, next_url=next_url, email=email, errors=errors)
    try:
        member, token, _ = await run_in_threadpool(
            service.sign_in,
            uow=await get_uow(request, db),
            email=email,
            password=password,
            ttl_s=settings.console_session_ttl_s,
            guard=request.app.state.signin_guard,
            client_ip=request.client.host if request.client else "-",
        )
    except RateLimited as exc:
        page = _sign_in_page(
            request, status=429, next_url=next_url, email=email,
            message=f"Too many wrong passwords: wait {exc.retry_after_s} s and try again.",
        )  # fmt: skip
        page.headers.update(exc.headers())
        return page
    except Unauthorized:
        return _sign_in_page(
            request, status=401, next_url=next_url, email=email,
            message="Wrong email or password.",
        )  # fmt: skip
    # A staff sign-in is an action of that member (audit log, docs/security.md): the failed
    # ones name nobody and are counted by the sign-in guard instead.
    note_principal(request.scope, principal_for(member))
    response = RedirectResponse(next_url or home_of(member), status_code=303)
    _cookie(response, request, SESSION_COOKIE, token, settings.console_session_ttl_s)
    response.delete_cookie(PRESESSION_COOKIE, path="/admin")
    return response


@router.post("/admin/sign-out")
def sign_out(request: Request, staff: StaffDep, db: DatabaseDep) -> Response:
    service.sign_out(uow=UnitOfWork(db), token=staff.token)
    response = RedirectResponse("/admin/sign-in?reason=bye", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response
