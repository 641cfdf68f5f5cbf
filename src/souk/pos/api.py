"""Point of sale (a POS key, bound to a channel and a store)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from souk.api.auth import PosDep
from souk.api.deps import DatabaseDep
from souk.api.problems import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES
from souk.orders.schemas import OrderRead
from souk.pos import service
from souk.pos.schemas import PosSale, PosSync, PosSyncRead

router = APIRouter(prefix="/v1/pos", tags=["pos"], responses=PROBLEM_RESPONSES)


@router.post(
    "/sales",
    status_code=201,
    response_model=OrderRead,
    responses={402: {"description": "Never: the money was taken at the till"}},
)
def sell(
    sale: PosSale, db: DatabaseDep, principal: PosDep, request: Request, response: Response
) -> OrderRead | JSONResponse:
    """A sale at the till; sent again with the same `client_txn_id`, the first answer."""
    result = service.record(
        db=db, principal=principal, sale=sale, wake=request.app.state.dispatcher_wake
    )
    if result.problem is not None:
        return JSONResponse(
            result.problem, status_code=result.status, media_type=PROBLEM_MEDIA_TYPE
        )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return OrderRead.model_validate(result.order)


@router.post("/sync", response_model=PosSyncRead)
def sync(batch: PosSync, db: DatabaseDep, principal: PosDep, request: Request) -> PosSyncRead:
    """Sales recorded while the store was offline: one result per transaction."""
    results = service.sync(
        db=db, principal=principal, transactions=batch.transactions,
        wake=request.app.state.dispatcher_wake,
    )  # fmt: skip
    return PosSyncRead(results=results)
