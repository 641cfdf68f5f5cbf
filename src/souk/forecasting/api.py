"""Forecasts and replenishment suggestions (admin). Forecasts are computed by
`souk forecast`, never on the request path."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, SettingsDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.forecasting import proposals, reads
from souk.forecasting.models import Frequency
from souk.forecasting.runs import policy_from
from souk.forecasting.schemas import ForecastRead, SuggestionRead, SuggestionsRead

router = APIRouter(tags=["forecasting"], responses=PROBLEM_RESPONSES)
Code = Annotated[str, Query(min_length=1, max_length=64)]
ProposalId = Annotated[str, Path(max_length=64, pattern=r"^tp_[0-9A-Za-z_-]+$")]


@router.get("/v1/forecasts", response_model=ForecastRead)
def get_forecast(
    sku: Code,
    location: Code,
    uow: ReadUowDep,
    _: AdminDep,
    horizon: Annotated[int | None, Query(ge=1, le=366)] = None,
    frequency: Frequency = Frequency.WEEK,
) -> ForecastRead:
    return reads.get_forecast(
        uow=uow, sku=sku, location=location, horizon=horizon, frequency=frequency
    )


@router.get(
    "/v1/replenishment/suggestions", response_model=SuggestionsRead, response_model_by_alias=True
)
def get_suggestions(
    location: Code, uow: ReadUowDep, settings: SettingsDep, _: AdminDep
) -> SuggestionsRead:
    freq = Frequency(settings.forecast_frequency)
    return reads.suggestions(
        uow=uow, location=location, policy=policy_from(settings, freq), frequency=freq
    )


@router.post("/v1/replenishment/proposals/{proposal_id}/accept", response_model=SuggestionRead)
def accept_proposal(proposal_id: ProposalId, uow: UowDep, _: AdminDep) -> SuggestionRead:
    return proposals.accept(uow=uow, proposal_id=proposal_id)


@router.post("/v1/replenishment/proposals/{proposal_id}/dismiss", response_model=SuggestionRead)
def dismiss_proposal(proposal_id: ProposalId, uow: UowDep, _: AdminDep) -> SuggestionRead:
    return proposals.dismiss(uow=uow, proposal_id=proposal_id)
