"""Who is using the console: the staff session behind the cookie, the CSRF check of every
POST, the screens a role may open, and the principal the services see.

Services take a `Principal` (an API key's identity). A console user acts as an admin
principal, except a store manager, who acts as a store-bound principal for the one store
they are working, so the services' own store checks apply to them as to a POS key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from souk.access.models import Principal, Role
from souk.api.audit import note_principal
from souk.api.deps import DatabaseDep
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden
from souk.pages.common.csrf import CSRF_FIELD, CSRF_HEADER, tokens_match
from souk.pages.common.forms import Form, read_form
from souk.pages.console.rendering import SignInRequired
from souk.staff import service
from souk.staff.models import Screen, StaffMember

SESSION_COOKIE = "souk_staff"
CSRF_REFUSED = (
    "This form came without its security token (CSRF), so nothing was changed: "
    "reload the page and send it again"
)


@dataclass(frozen=True)
class StaffContext:
    member: StaffMember
    csrf: str
    token: str


def principal_for(member: StaffMember, location: str | None = None) -> Principal:
    if member.bound_to_stores:
        return Principal(key_id=f"staff:{member.id}", role=Role.POS, location=location)
    return Principal(key_id=f"staff:{member.id}", role=Role.ADMIN)


async def current_staff(request: Request, db: DatabaseDep) -> StaffContext:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        raise SignInRequired("signed-out")
    found = await run_in_threadpool(
        service.session_member, uow=UnitOfWork(db, write=False), token=token
    )
    if found is None:
        raise SignInRequired("expired")
    context = StaffContext(member=found[0], csrf=found[1], token=token)
    request.state.staff = context
    note_principal(request.scope, principal_for(context.member))
    if request.method == "POST":
        form = await read_form(request)
        given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not tokens_match(context.csrf, given):
            raise Forbidden(CSRF_REFUSED)
    return context


StaffDep = Annotated[StaffContext, Depends(current_staff)]
FormDep = Annotated[Form, Depends(read_form)]


def screen(which: Screen) -> object:
    async def check(staff: StaffDep) -> StaffContext:
        if not staff.member.may_open(which):
            raise Forbidden(f"The {which.value} screen is not open to the {staff.member.role} role")
        return staff

    return Depends(check)


def require_store(staff: StaffContext, location: str) -> None:
    """A store manager never sees or acts on another store's work."""
    if not staff.member.may_act_for(location):
        raise Forbidden(f"You manage {', '.join(staff.member.stores)}, not {location}")
