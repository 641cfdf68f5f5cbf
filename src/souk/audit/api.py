"""`GET /v1/audit-log` (admin): who did what, when and from where."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.audit import service
from souk.audit.schemas import AuditEntryRead
from souk.timestamps import Timestamp

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)
Code = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.get("/v1/audit-log", response_model=Page[AuditEntryRead])
def audit_log(
    uow: ReadUowDep,
    _: AdminDep,
    key: Code = None,
    role: Annotated[str | None, Query(pattern="^(admin|pos|staff)$")] = None,
    location: Code = None,
    method: Annotated[str | None, Query(pattern="^(POST|PUT|PATCH|DELETE)$")] = None,
    resource: Annotated[
        str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")
    ] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    since: Annotated[Timestamp | None, Query(alias="from")] = None,
    until: Annotated[Timestamp | None, Query(alias="to")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEntryRead]:
    filters = service.Filters(
        key_id=key, role=role, location=location, method=method, resource_id=resource,
        status=status, since=since, until=until,
    )  # fmt: skip
    data, next_cursor = service.entries(uow=uow, filters=filters, limit=limit, cursor=cursor)
    return Page(data=data, next_cursor=next_cursor)
