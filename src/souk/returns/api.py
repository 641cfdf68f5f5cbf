"""Returns (admin, or a POS key for returns handed in at its own store)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from souk.api.auth import AdminOrPosDep
from souk.api.deps import ReadUowDep, SettingsDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.fulfilment.schemas import CODE
from souk.returns import reads, receiving, refunds, requests
from souk.returns.schemas import ReceiveBody, RefundBody, ReturnCreate, ReturnRead

router = APIRouter(tags=["returns"], responses=PROBLEM_RESPONSES)
Id = Annotated[str, Path(max_length=40, pattern=CODE)]


@router.post("/v1/orders/{order_id}/returns", status_code=201, response_model=ReturnRead)
def create_return(
    order_id: Id, data: ReturnCreate, uow: UowDep, principal: AdminOrPosDep, settings: SettingsDep
) -> ReturnRead:
    return requests.create_return(
        uow=uow, principal=principal, order_id=order_id, data=data,
        policy=requests.policy_from(settings),
    )  # fmt: skip


@router.get("/v1/returns/{return_id}", response_model=ReturnRead)
def get_return(return_id: Id, uow: ReadUowDep, principal: AdminOrPosDep) -> ReturnRead:
    return reads.get_return(uow=uow, principal=principal, return_id=return_id)


@router.post("/v1/returns/{return_id}/receive", response_model=ReturnRead)
def receive_return(
    return_id: Id, data: ReceiveBody, uow: UowDep, principal: AdminOrPosDep
) -> ReturnRead:
    return receiving.receive_return(uow=uow, principal=principal, return_id=return_id, data=data)


@router.post("/v1/returns/{return_id}/refund", response_model=ReturnRead)
def refund_return(
    return_id: Id, data: RefundBody, uow: UowDep, principal: AdminOrPosDep
) -> ReturnRead:
    return refunds.refund_return(uow=uow, principal=principal, return_id=return_id, data=data)
