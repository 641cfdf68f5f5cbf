"""Pickups handed over and returns taken at the till, online or offline: each is a till
transaction with its `client_txn_id`, taking effect once (`souk.pos.once`).

Each runs the same services as `POST /v1/fulfillment-orders/{id}/collect` and the returns
API, enlisted in the one transaction that also records the till's transaction: a return is
created, received and refunded together or not at all, so a till that sends it again after
a lost answer never gets a second return or a second refund.
"""

from __future__ import annotations

from typing import Any

from souk.access.models import Principal
from souk.db.engine import Database
from souk.db.uow import EnlistedUnitOfWork, UnitOfWork
from souk.fulfilment.transitions import collect
from souk.pos.once import WakeUp, accepted, once_for
from souk.pos.schemas import PosPickup, PosResult, PosReturn
from souk.returns.receiving import receive_return
from souk.returns.refunds import refund_return
from souk.returns.requests import create_return, policy_from
from souk.returns.schemas import (
    ReceiveBody,
    ReceivedLine,
    RefundBody,
    ReturnCreate,
    ReturnLineCreate,
)


def hand_over(
    *, db: Database, principal: Principal, txn: PosPickup, index: int = 0, wake: WakeUp = None
) -> PosResult:
    def effect(uow: UnitOfWork) -> tuple[PosResult, str | None]:
        fo = collect(
            uow=EnlistedUnitOfWork(uow),
            principal=principal,
            fo_id=txn.fulfillment_order,
            pickup_code=txn.pickup_code,
        )
        return accepted(txn, index, fulfillment_order=fo.model_dump(mode="json")), fo.order_id

    # A wrong code is counted even though the hand-over is refused: guessing codes through
    # the sync is as slow as at the counter.
    return once_for(txn, db=db, principal=principal, kind="pickup", index=index,
                    effect=effect, wake=wake, commit_refusals=True)  # fmt: skip


def take_return(
    *, db: Database, principal: Principal, txn: PosReturn, index: int = 0, wake: WakeUp = None
) -> PosResult:
    store = principal.location or ""

    def effect(uow: UnitOfWork) -> tuple[PosResult, str | None]:
        request = ReturnCreate(
            method="in_store",
            location=store,
            lines=[
                ReturnLineCreate(sku=line.sku, quantity=line.quantity, reason=line.reason)
                for line in txn.lines
            ],
        )
        created = create_return(
            uow=EnlistedUnitOfWork(uow),
            principal=principal,
            order_id=txn.order,
            data=request,
            policy=policy_from(db.settings),
        )
        receipt = ReceiveBody(
            location=store,
            lines=[
                ReceivedLine(sku=line.sku, quantity=line.quantity, condition=line.condition)
                for line in txn.lines
            ],
        )
        receive_return(
            uow=EnlistedUnitOfWork(uow), principal=principal, return_id=created.id, data=receipt
        )
        refunded = refund_return(
            uow=EnlistedUnitOfWork(uow),
            principal=principal,
            return_id=created.id,
            data=RefundBody(to=txn.refund_to),
        )
        return accepted(txn, index, return_=refunded.model_dump(mode="json")), txn.order

    return once_for(txn, db=db, principal=principal, kind="return", index=index,
                    effect=effect, wake=wake, redact=_without_codes)  # fmt: skip


def _without_codes(stored: dict[str, Any]) -> None:
    # A store credit's code is shown once, like an issued card's: a replay shows its id.
    for refund in (stored.get("return") or {}).get("refunds", []):
        refund["store_credit_code"] = None
