"""Promotions, codes and personal coupons (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.customers.queries import find_customer
from souk.promotions import codes, service
from souk.promotions.schemas import (
    CodesCreate,
    CodesRead,
    PersonalCouponCreate,
    PersonalCouponRead,
    PromotionCreate,
    PromotionIdPath,
    PromotionRead,
    PromotionUpdate,
)

router = APIRouter(tags=["promotions"], responses=PROBLEM_RESPONSES)


@router.post("/v1/promotions", status_code=201, response_model=PromotionRead)
def create_promotion(data: PromotionCreate, uow: UowDep, _: AdminDep) -> PromotionRead:
    return service.create_promotion(uow=uow, data=data)


@router.get("/v1/promotions", response_model=Page[PromotionRead])
def list_promotions(
    uow: ReadUowDep,
    _: AdminDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    active: bool | None = Query(default=None),
) -> Page[PromotionRead]:
    data, next_cursor = service.list_promotions(uow=uow, limit=limit, cursor=cursor, active=active)
    return Page(data=data, next_cursor=next_cursor)


@router.get("/v1/promotions/{promotion_id}", response_model=PromotionRead)
def get_promotion(promotion_id: PromotionIdPath, uow: ReadUowDep, _: AdminDep) -> PromotionRead:
    return service.get_promotion(uow=uow, promotion_id=promotion_id)


@router.patch("/v1/promotions/{promotion_id}", response_model=PromotionRead)
def update_promotion(
    promotion_id: PromotionIdPath, data: PromotionUpdate, uow: UowDep, _: AdminDep
) -> PromotionRead:
    return service.update_promotion(uow=uow, promotion_id=promotion_id, data=data)


@router.delete("/v1/promotions/{promotion_id}", status_code=204, response_class=Response)
def delete_promotion(promotion_id: PromotionIdPath, uow: UowDep, _: AdminDep) -> Response:
    service.delete_promotion(uow=uow, promotion_id=promotion_id)
    return Response(status_code=204)


@router.post("/v1/promotions/{promotion_id}/codes", status_code=201, response_model=CodesRead)
def add_codes(
    promotion_id: PromotionIdPath, data: CodesCreate, uow: UowDep, _: AdminDep
) -> CodesRead:
    return codes.add_codes(uow=uow, promotion_id=promotion_id, data=data)


@router.get(
    "/v1/promotions/{promotion_id}/codes.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The codes, one a row"}},
)
def export_codes(promotion_id: PromotionIdPath, uow: ReadUowDep, _: AdminDep) -> Response:
    body = codes.codes_csv(uow=uow, promotion_id=promotion_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{promotion_id}-codes.csv"'},
    )


@router.post("/v1/coupons/personal", status_code=201, response_model=PersonalCouponRead)
def personal_coupon(
    data: PersonalCouponCreate, uow: UowDep, read: ReadUowDep, _: AdminDep
) -> PersonalCouponRead:
    with read:
        exists = find_customer(session=read.session, customer_id=data.customer) is not None
    return codes.personal_coupon(
        uow=uow, promotion_id=data.promotion, customer_id=data.customer, customer_exists=exists
    )
