"""Channels (admin): where the retailer sells."""

from __future__ import annotations

from fastapi import APIRouter

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.channels import service
from souk.channels.schemas import ChannelCreate, ChannelRead, ChannelUpdate, CodePath

router = APIRouter(prefix="/v1/channels", tags=["channels"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=ChannelRead)
def create_channel(data: ChannelCreate, uow: UowDep, _: AdminDep) -> ChannelRead:
    return service.create_channel(uow=uow, data=data)


@router.get("", response_model=Page[ChannelRead])
def list_channels(
    uow: ReadUowDep, _: AdminDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[ChannelRead]:
    data, next_cursor = service.list_channels(uow=uow, limit=limit, cursor=cursor)
    return Page(data=data, next_cursor=next_cursor)


@router.get("/{code}", response_model=ChannelRead)
def get_channel(code: CodePath, uow: ReadUowDep, _: AdminDep) -> ChannelRead:
    return service.get_channel(uow=uow, code=code)


@router.patch("/{code}", response_model=ChannelRead)
def update_channel(code: CodePath, data: ChannelUpdate, uow: UowDep, _: AdminDep) -> ChannelRead:
    return service.update_channel(uow=uow, code=code, data=data)
