"""Recommendations (admin or the channel's storefront key). Computed by
`souk recs refresh`; the request only reads them and checks what can be sold now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.recommendations import reads
from souk.recommendations.schemas import RecommendationsRead

router = APIRouter(tags=["recommendations"], responses=PROBLEM_RESPONSES)


@router.get("/v1/recommendations", response_model=RecommendationsRead)
def get_recommendations(
    channel: Annotated[str, Query(min_length=1, max_length=64)],
    uow: ReadUowDep,
    _: AdminDep,
    profile: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> RecommendationsRead:
    return reads.recommend(uow=uow, channel=channel, profile=profile, sku=sku, limit=limit)
