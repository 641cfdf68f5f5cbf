"""Journeys, messages and experiments (admin): parse, call one service, return."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.engagement import experiments, journeys, messages, stats
from souk.engagement.models import Trigger
from souk.engagement.schemas import (
    AssignmentRead,
    ExperimentCreate,
    ExperimentRead,
    ExperimentResults,
    JourneyCreate,
    JourneyRead,
    MessageRead,
)

router = APIRouter(prefix="/v1", tags=["engagement"], responses=PROBLEM_RESPONSES)
Id = Annotated[str | None, Query(min_length=1, max_length=40)]
StatusFilter = Literal["queued", "sending", "sent", "suppressed", "cancelled", "failed"]


@router.post("/journeys", status_code=201, response_model=JourneyRead)
def create_journey(body: JourneyCreate, _: AdminDep, uow: UowDep) -> JourneyRead:
    """A journey: a trigger, a delay, a channel and a template per locale; its templates
    must render, or it is refused (422)."""
    return journeys.create_journey(uow=uow, data=body)


@router.get("/journeys", response_model=Page[JourneyRead])
def list_journeys(
    _: AdminDep, uow: ReadUowDep, trigger: Trigger | None = None
) -> Page[JourneyRead]:
    return Page(data=journeys.list_journeys(uow=uow, trigger=trigger), next_cursor=None)


@router.get("/journeys/{journey_id}", response_model=JourneyRead)
def get_journey(journey_id: str, _: AdminDep, uow: ReadUowDep) -> JourneyRead:
    return journeys.get_journey(uow=uow, journey_id=journey_id)


@router.get("/messages", response_model=Page[MessageRead])
def list_messages(
    _: AdminDep,
    uow: ReadUowDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    profile: Id = None,
    journey: Id = None,
    status: StatusFilter | None = None,
) -> Page[MessageRead]:
    """What was sent to whom, when, why (or why not), and its opens and clicks."""
    data, next_cursor = messages.list_messages(
        uow=uow, profile=profile, journey=journey, status=status, limit=limit, cursor=cursor
    )
    return Page(data=data, next_cursor=next_cursor)


@router.get("/messages/{message_id}", response_model=MessageRead)
def get_message(message_id: str, _: AdminDep, uow: ReadUowDep) -> MessageRead:
    return messages.get_message(uow=uow, message_id=message_id)


@router.post("/experiments", status_code=201, response_model=ExperimentRead)
def create_experiment(body: ExperimentCreate, _: AdminDep, uow: UowDep) -> ExperimentRead:
    """An experiment a storefront can ask assignments of (layouts); a journey's own
    experiment is created with the journey."""
    return experiments.create_experiment(uow=uow, data=body)


@router.get("/experiments/{experiment_id}", response_model=ExperimentRead)
def get_experiment(experiment_id: str, _: AdminDep, uow: ReadUowDep) -> ExperimentRead:
    return experiments.get_experiment(uow=uow, experiment_id=experiment_id)


@router.get("/experiments/{experiment_id}/assignment", response_model=AssignmentRead)
def assignment(
    experiment_id: str,
    _: AdminDep,
    uow: UowDep,
    profile: Annotated[str, Query(min_length=1, max_length=40)],
) -> AssignmentRead:
    """The profile's variant (always the same one); the first ask records the exposure."""
    return experiments.assignment(uow=uow, experiment_id=experiment_id, profile_id=profile)


@router.get("/experiments/{experiment_id}/results", response_model=ExperimentResults)
def results(experiment_id: str, _: AdminDep, uow: ReadUowDep) -> ExperimentResults:
    """Per variant: exposures, conversions, rate with its 95 % interval, the difference from
    the control with its interval and p-value, and the stopping rule's decision."""
    return stats.results(uow=uow, experiment_id=experiment_id)
