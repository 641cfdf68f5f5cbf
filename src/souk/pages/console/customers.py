"""Customers: find the 360° profile (src/souk/cdp) by any identifier, and read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from souk.api.deps import ReadUowDep
from souk.cdp import reads
from souk.pages.console.rendering import PageRoute, render
from souk.pages.console.session import StaffContext, screen
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CustomersScreen = Annotated[StaffContext, screen(Screen.CUSTOMERS)]
KINDS = ["email", "phone", "user_id", "loyalty_card", "anonymous_id"]
Lookup = Annotated[str, Query(max_length=320)]


@router.get("/admin/customers")
def find(
    request: Request,
    _: CustomersScreen,
    uow: ReadUowDep,
    kind: Annotated[
        str, Query(pattern="^(email|phone|user_id|loyalty_card|anonymous_id)$")
    ] = "email",
    value: Lookup = "",
) -> HTMLResponse:
    found = reads.find_profiles(uow=uow, lookups={kind: value.strip()}) if value.strip() else []
    return render(
        request, "customers.html", title="Customers", kinds=KINDS, kind=kind, value=value,
        profiles=found, searched=bool(value.strip()),
    )  # fmt: skip


@router.get("/admin/customers/{profile_id}")
def profile(
    request: Request,
    _: CustomersScreen,
    uow: ReadUowDep,
    profile_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")],
) -> HTMLResponse:
    found = reads.get_profile(uow=uow, profile_id=profile_id)
    return render(request, "profile.html", title=f"Profile {found.id}", profile=found)
