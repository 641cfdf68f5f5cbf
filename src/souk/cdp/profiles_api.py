"""Profiles, their merges and consents, and segments (admin): parse, call one service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.cdp import consents, privacy, reads, segments
from souk.cdp.schemas import (
    ConsentUpdate,
    MergesRead,
    PrivacyRequest,
    PrivacyResult,
    ProfileRead,
    SegmentCreate,
    SegmentMemberRead,
    SegmentRead,
    UnmergeRequest,
    UnmergeResult,
)
from souk.cdp.unmerge import unmerge
from souk.db.uow import UnitOfWork

router = APIRouter(prefix="/v1", tags=["customer data: profiles"], responses=PROBLEM_RESPONSES)
Lookup = Annotated[str | None, Query(min_length=1, max_length=320)]


@router.get("/profiles", response_model=Page[ProfileRead])
def find_profiles(
    _: AdminDep,
    uow: ReadUowDep,
    email: Lookup = None,
    phone: Lookup = None,
    user_id: Lookup = None,
    anonymous_id: Lookup = None,
    loyalty_card: Lookup = None,
) -> Page[ProfileRead]:
    """The profile holding one identifier (email and phone are normalised first)."""
    lookups = {
        "email": email,
        "phone": phone,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "loyalty_card": loyalty_card,
    }
    return Page(data=reads.find_profiles(uow=uow, lookups=lookups), next_cursor=None)


@router.get("/profiles/{profile_id}", response_model=ProfileRead)
def get_profile(profile_id: str, _: AdminDep, uow: ReadUowDep) -> ProfileRead:
    """The 360° profile; a profile merged into another answers with the survivor."""
    return reads.get_profile(uow=uow, profile_id=profile_id)


@router.get("/profiles/{profile_id}/merges", response_model=MergesRead)
def get_merges(profile_id: str, _: AdminDep, uow: ReadUowDep) -> MergesRead:
    return reads.merges(uow=uow, profile_id=profile_id)


@router.post("/profiles/{profile_id}/unmerge", response_model=UnmergeResult)
def unmerge_profile(
    profile_id: str, body: UnmergeRequest, _: AdminDep, uow: UowDep
) -> UnmergeResult:
    """Split the merge that brought `identity` in back out, with its events and orders."""
    split = unmerge(
        uow=uow, profile_id=profile_id, kind=body.identity.type, value=body.identity.value
    )
    return UnmergeResult(
        profile=reads.get_profile(uow=UnitOfWork(uow.db, write=False), profile_id=split["profile"]),
        restored=reads.get_profile(
            uow=UnitOfWork(uow.db, write=False), profile_id=split["restored"]
        ),
    )


@router.put("/profiles/{profile_id}/consents", response_model=ProfileRead)
def put_consents(
    profile_id: str, body: list[ConsentUpdate], _: AdminDep, uow: UowDep
) -> ProfileRead:
    return consents.record_consents(uow=uow, profile_id=profile_id, consents=body)


@router.post("/segments", response_model=SegmentRead, status_code=201)
def create_segment(body: SegmentCreate, _: AdminDep, uow: UowDep) -> SegmentRead:
    return segments.create_segment(uow=uow, data=body)


@router.get("/segments/{segment_id}", response_model=SegmentRead)
def get_segment(segment_id: str, _: AdminDep, uow: ReadUowDep) -> SegmentRead:
    return segments.get_segment(uow=uow, segment_id=segment_id)


@router.get("/segments/{segment_id}/members", response_model=Page[SegmentMemberRead])
def segment_members(
    segment_id: str, _: AdminDep, uow: ReadUowDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[SegmentMemberRead]:
    data, next_cursor = segments.members(uow=uow, segment_id=segment_id, limit=limit, cursor=cursor)
    return Page(data=data, next_cursor=next_cursor)


@router.post("/privacy/requests", response_model=PrivacyResult)
def privacy_request(body: PrivacyRequest, _: AdminDep, uow: UowDep) -> PrivacyResult:
    """Export or erase what the customer data platform holds about one person."""
    run = privacy.export if body.type == "export" else privacy.erase
    return PrivacyResult(**run(uow=uow, email=body.email, profile=body.profile))
