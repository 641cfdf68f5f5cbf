"""Gift cards (admin issues and adjusts; admin and POS look a card up by its code)."""

from __future__ import annotations

from fastapi import APIRouter

from souk.api.auth import AdminDep, AdminOrPosDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.customers.queries import find_customer
from souk.giftcards import service
from souk.giftcards.schemas import (
    GiftCardAdjust,
    GiftCardCreate,
    GiftCardIdPath,
    GiftCardIssued,
    GiftCardLookup,
    GiftCardRead,
)

router = APIRouter(tags=["gift cards"], responses=PROBLEM_RESPONSES)


@router.post("/v1/gift-cards", status_code=201, response_model=GiftCardIssued)
def issue(data: GiftCardCreate, uow: UowDep, read: ReadUowDep, _: AdminDep) -> GiftCardIssued:
    exists = False
    if data.customer is not None:
        with read:
            exists = find_customer(session=read.session, customer_id=data.customer) is not None
    return service.issue_card(uow=uow, data=data, customer_exists=exists)


@router.get("/v1/gift-cards/{gift_card_id}", response_model=GiftCardRead)
def get(gift_card_id: GiftCardIdPath, uow: ReadUowDep, _: AdminDep) -> GiftCardRead:
    return service.get_card(uow=uow, gift_card_id=gift_card_id)


@router.post("/v1/gift-cards/lookup", response_model=GiftCardRead)
def lookup(data: GiftCardLookup, uow: ReadUowDep, _: AdminOrPosDep) -> GiftCardRead:
    """By the code printed on the card: a POST, so the code never lands in an access log."""
    return service.lookup(uow=uow, code=data.code)


@router.post("/v1/gift-cards/{gift_card_id}/adjustments", response_model=GiftCardRead)
def adjust(
    gift_card_id: GiftCardIdPath, data: GiftCardAdjust, uow: UowDep, _: AdminDep
) -> GiftCardRead:
    return service.adjust(uow=uow, gift_card_id=gift_card_id, data=data)
