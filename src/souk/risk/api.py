"""Fraud screening over HTTP (admin): an order's risk, the review queue, review outcomes
and the weights they moved. Parse, call one service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.risk import reviews
from souk.risk.schemas import ReviewOutcome, RiskRead, WeightRead
from souk.risk.service import Policy

router = APIRouter(prefix="/v1", tags=["risk"], responses=PROBLEM_RESPONSES)
QueueStatus = Annotated[str, Query(pattern="^(held|released|rejected|clear)$")]


def _policy(request: Request) -> Policy:
    return Policy.from_settings(request.app.state.settings)


@router.get("/orders/{order_id}/risk", response_model=RiskRead)
def order_risk(order_id: str, request: Request, _: AdminDep, uow: UowDep) -> RiskRead:
    """The order's score, decision and the signals behind them; an order the dispatcher
    has not screened yet is screened by this read."""
    return reviews.order_risk(uow=uow, order_id=order_id, policy=_policy(request))


@router.get("/risk/reviews", response_model=Page[RiskRead])
def review_queue(
    _: AdminDep, uow: ReadUowDep, status: QueueStatus = "held", limit: Limit = 50
) -> Page[RiskRead]:
    """Orders waiting for a review (or, with `status`, those decided), riskiest first."""
    return Page(data=reviews.queue(uow=uow, status=status, limit=limit), next_cursor=None)


@router.post("/risk/reviews/{order_id}", response_model=RiskRead)
def review_outcome(
    order_id: str, data: ReviewOutcome, request: Request, principal: AdminDep, uow: UowDep
) -> RiskRead:
    """Decide a held order: `legitimate` releases it to fulfilment, `fraud` keeps it from
    fulfilment (cancel it to refund); either moves the weights of its signals. 409 if the
    order is not waiting for a review."""
    return reviews.decide(
        uow=uow, order_id=order_id, data=data, reviewer=principal.key_id, policy=_policy(request)
    )


@router.get("/risk/weights", response_model=list[WeightRead])
def risk_weights(_: AdminDep, uow: ReadUowDep) -> list[WeightRead]:
    """Each signal's weight as reviews have moved it, beside its default."""
    return reviews.current_weights(uow=uow)
