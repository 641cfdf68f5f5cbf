"""Shipping rates over HTTP (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.customers.schemas import IdPath
from souk.shipping import service
from souk.shipping.schemas import ShippingRateCreate, ShippingRateRead

router = APIRouter(prefix="/v1/shipping-rates", tags=["shipping"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=ShippingRateRead)
def create_shipping_rate(data: ShippingRateCreate, uow: UowDep, _: AdminDep) -> ShippingRateRead:
    return service.create_rate(uow=uow, data=data)


@router.get("", response_model=list[ShippingRateRead])
def list_shipping_rates(uow: ReadUowDep, _: AdminDep) -> list[ShippingRateRead]:
    return service.list_rates(uow=uow)


@router.get("/{code}", response_model=ShippingRateRead)
def get_shipping_rate(code: IdPath, uow: ReadUowDep, _: AdminDep) -> ShippingRateRead:
    return service.get_rate(uow=uow, code=code)


@router.put("/{code}", response_model=ShippingRateRead)
def replace_shipping_rate(
    code: IdPath, data: ShippingRateCreate, uow: UowDep, _: AdminDep
) -> ShippingRateRead:
    return service.replace_rate(uow=uow, code=code, data=data)


@router.delete("/{code}", status_code=204)
def delete_shipping_rate(code: IdPath, uow: UowDep, _: AdminDep) -> Response:
    service.delete_rate(uow=uow, code=code)
    return Response(status_code=204)
