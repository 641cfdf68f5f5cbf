from __future__ import annotations

from fastapi import APIRouter

from souk.access import service
from souk.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/api-keys", tags=["access"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=ApiKeyCreated)
def create_api_key(data: ApiKeyCreate, uow: UowDep, _: AdminDep) -> ApiKeyCreated:
    return service.create_key(uow=uow, data=data)


@router.get("", response_model=list[ApiKeyRead])
def list_api_keys(uow: ReadUowDep, _: AdminDep) -> list[ApiKeyRead]:
    return service.list_keys(uow=uow)


@router.delete("/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(key_id: str, uow: UowDep, _: AdminDep) -> ApiKeyRead:
    return service.revoke_key(uow=uow, key_id=key_id)
