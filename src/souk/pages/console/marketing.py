"""Promotions and their codes, gift cards and the loyalty program (read, and look up)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from souk.api.deps import ReadUowDep
from souk.api.pagination import Cursor
from souk.customers.schemas import ID_PATTERN
from souk.db.uow import UnitOfWork
from souk.errors import SoukError
from souk.giftcards import service as giftcards
from souk.giftcards.schemas import GiftCardLookup
from souk.loyalty import program
from souk.loyalty import service as loyalty
from souk.loyalty.schemas import LoyaltyRead
from souk.pages.common.validation import validated
from souk.pages.console.rendering import OR_EMPTY, PageRoute, render
from souk.pages.console.session import FormDep, StaffContext, screen
from souk.promotions import service as promotions
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MarketingScreen = Annotated[StaffContext, screen(Screen.MARKETING)]
PAGE_SIZE = 25


def marketing_page(
    request: Request,
    uow_read: UnitOfWork,
    *,
    active: bool | None,
    cursor: str | None,
    member: LoyaltyRead | None = None,
    card: object = None,
    errors: SoukError | None = None,
) -> Response:
    rows, next_cursor = promotions.list_promotions(
        uow=uow_read, limit=PAGE_SIZE, cursor=cursor, active=active
    )
    try:
        loyalty_program = program.get_program(uow=UnitOfWork(uow_read.db, write=False))
    except SoukError:
        loyalty_program = None  # no program defined yet
    return render(
        request, "marketing.html", status=errors.status if errors else 200,
        title="Promotions & loyalty", promotions=rows, next_cursor=next_cursor,
        active="" if active is None else ("true" if active else "false"),
        program=loyalty_program, member=member, card=card, errors=errors,
    )  # fmt: skip


@router.get("/admin/marketing")
def overview(
    request: Request,
    _: MarketingScreen,
    uow: ReadUowDep,
    active: Annotated[str, Query(pattern="^(true|false)?$")] = "",
    cursor: Cursor = None,
    member: Annotated[str, Query(max_length=40, pattern=OR_EMPTY % ID_PATTERN)] = "",
) -> Response:
    found = None
    errors = None
    if member:
        try:
            found = loyalty.get_member(uow=UnitOfWork(uow.db, write=False), customer_id=member)
        except SoukError as exc:
            errors = exc
    return marketing_page(
        request, uow, active={"true": True, "false": False}.get(active), cursor=cursor,
        member=found, errors=errors,
    )  # fmt: skip


@router.post("/admin/marketing/gift-cards/lookup")
def gift_card(request: Request, _: MarketingScreen, uow: ReadUowDep, form: FormDep) -> Response:
    """A POST, as in the API: the code on the card never lands in an access log."""
    try:
        data = validated(GiftCardLookup, {"code": form.get("code")})
        card = giftcards.lookup(uow=UnitOfWork(uow.db, write=False), code=data.code)
    except SoukError as exc:
        return marketing_page(request, uow, active=None, cursor=None, errors=exc)
    return marketing_page(request, uow, active=None, cursor=None, card=card)
