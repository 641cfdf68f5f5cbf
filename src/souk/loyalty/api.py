"""The loyalty program (admin) and a member's points (the member, or an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from souk.api.auth import AdminDep, StorefrontDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.customers.deps import CustomerDep, StrictAdminDep
from souk.loyalty import program, service
from souk.loyalty.schemas import AdjustmentBody, LoyaltyRead, ProgramBody, ProgramRead

router = APIRouter(tags=["loyalty"], responses=PROBLEM_RESPONSES)
CustomerIdPath = Annotated[str, Path(max_length=64, pattern=r"^cus_[0-9A-Za-z_-]+$")]


@router.put("/v1/loyalty/program", response_model=ProgramRead)
def put_program(data: ProgramBody, uow: UowDep, _: AdminDep) -> ProgramRead:
    return program.put_program(uow=uow, data=data)


@router.get("/v1/loyalty/program", response_model=ProgramRead)
def get_program(uow: ReadUowDep, _: AdminDep) -> ProgramRead:
    return program.get_program(uow=uow)


@router.post("/v1/loyalty/adjustments", response_model=LoyaltyRead)
def adjust(data: AdjustmentBody, uow: UowDep, _: AdminDep) -> LoyaltyRead:
    return service.adjust_points(uow=uow, data=data)


@router.get("/v1/customers/me/loyalty", response_model=LoyaltyRead)
def my_loyalty(customer: CustomerDep, uow: ReadUowDep, _: StorefrontDep) -> LoyaltyRead:
    return service.get_member(uow=uow, customer_id=customer)


@router.get("/v1/customers/{customer_id}/loyalty", response_model=LoyaltyRead)
def customer_loyalty(
    customer_id: CustomerIdPath, uow: ReadUowDep, _: StrictAdminDep
) -> LoyaltyRead:
    return service.get_member(uow=uow, customer_id=customer_id)
