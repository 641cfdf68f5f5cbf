"""Background jobs (admin): start a bulk code generation or a catalog import, then follow
it with `GET /v1/jobs/{id}`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from souk.access.models import Principal
from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.db.uow import UnitOfWork
from souk.jobs import service
from souk.jobs.models import JobKind
from souk.jobs.schemas import CatalogImportCreate, CodesJobCreate, JobIdPath, JobRead
from souk.promotions.schemas import PromotionIdPath
from souk.promotions.service import get_promotion

router = APIRouter(tags=["jobs"], responses=PROBLEM_RESPONSES)


def start_codes_job(
    *, uow: UnitOfWork, principal: Principal, promotion_id: str, data: CodesJobCreate
) -> JobRead:
    # An unknown promotion is refused now (404), not discovered by the job later.
    get_promotion(uow=UnitOfWork(uow.db, write=False), promotion_id=promotion_id)
    return service.enqueue(
        uow=uow, kind=JobKind.PROMOTION_CODES, total=data.count, created_by=principal.key_id,
        params={"promotion": promotion_id, **data.model_dump(exclude_none=True)},
    )  # fmt: skip


def start_catalog_import(
    *, uow: UnitOfWork, principal: Principal, data: CatalogImportCreate
) -> JobRead:
    return service.enqueue(
        uow=uow, kind=JobKind.CATALOG_IMPORT, total=len(data.products),
        created_by=principal.key_id,
        params={"products": [p.model_dump(mode="json", exclude_none=True) for p in data.products]},
    )  # fmt: skip


def _accepted(request: Request, response: Response, job: JobRead) -> JobRead:
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    request.app.state.job_runner.wake()
    return job


@router.post("/v1/promotions/{promotion_id}/codes/jobs", status_code=202, response_model=JobRead)
def generate_codes(
    promotion_id: PromotionIdPath, data: CodesJobCreate, uow: UowDep, principal: AdminDep,
    request: Request, response: Response,
) -> JobRead:  # fmt: skip
    """Up to 100,000 unique single-use codes, generated in the background."""
    job = start_codes_job(uow=uow, principal=principal, promotion_id=promotion_id, data=data)
    return _accepted(request, response, job)


@router.post("/v1/products/imports", status_code=202, response_model=JobRead)
def import_products(
    data: CatalogImportCreate, uow: UowDep, principal: AdminDep,
    request: Request, response: Response,
) -> JobRead:  # fmt: skip
    """Up to 5,000 products, each created as `POST /v1/products` would, in the background."""
    job = start_catalog_import(uow=uow, principal=principal, data=data)
    return _accepted(request, response, job)


@router.get("/v1/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: JobIdPath, uow: ReadUowDep, _: AdminDep) -> JobRead:
    return service.get_job(uow=uow, job_id=job_id)
