"""Long operations: start a bulk code generation or a catalog import, then watch its
progress. The forms start the same jobs as the API (`souk.jobs.api`), checked by the same
request schemas; the job's page polls itself with htmx until the job has finished."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from souk.api.deps import DatabaseDep, ReadUowDep
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, SoukError, ValidationFailed, field_error
from souk.jobs import service
from souk.jobs.api import start_catalog_import, start_codes_job
from souk.jobs.models import FINISHED, JobKind
from souk.jobs.schemas import CatalogImportCreate, CodesJobCreate, JobIdPath
from souk.pages.common.headers import page_headers
from souk.pages.common.validation import validated
from souk.pages.console.rendering import PageRoute, render
from souk.pages.console.session import FormDep, StaffContext, StaffDep, principal_for, screen
from souk.promotions import codes
from souk.promotions import service as promotions
from souk.promotions.schemas import PromotionIdPath
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MarketingScreen = Annotated[StaffContext, screen(Screen.MARKETING)]
CatalogScreen = Annotated[StaffContext, screen(Screen.CATALOG)]
SCREEN_OF = {JobKind.PROMOTION_CODES: Screen.MARKETING, JobKind.CATALOG_IMPORT: Screen.CATALOG}
MAX_IMPORT_CHARS = 2_000_000


def _started(request: Request, job_id: str) -> Response:
    request.app.state.job_runner.wake()
    return RedirectResponse(f"/admin/jobs/{job_id}", status_code=303)


def _codes_page(
    request: Request, uow: UnitOfWork, promotion_id: str, *, form: dict[str, str],
    errors: SoukError | None = None,
) -> Response:  # fmt: skip
    promotion = promotions.get_promotion(uow=uow, promotion_id=promotion_id)
    return render(
        request, "codes.html", status=errors.status if errors else 200,
        title=f"Codes for {promotion.name}", promotion=promotion, form=form, errors=errors,
    )  # fmt: skip


@router.get("/admin/marketing/promotions/{promotion_id}/codes")
def codes_form(
    request: Request, _: MarketingScreen, uow: ReadUowDep, promotion_id: PromotionIdPath
) -> Response:
    return _codes_page(request, uow, promotion_id, form={"count": "1000", "prefix": ""})


@router.post("/admin/marketing/promotions/{promotion_id}/codes")
def generate_codes(
    request: Request, staff: MarketingScreen, db: DatabaseDep, form: FormDep,
    promotion_id: PromotionIdPath,
) -> Response:  # fmt: skip
    typed = {"count": form.get("count"), "prefix": form.get("prefix")}
    try:
        count = int(typed["count"]) if typed["count"].isdigit() else typed["count"]
        data = validated(CodesJobCreate, {"count": count, "prefix": typed["prefix"] or None})
        job = start_codes_job(uow=UnitOfWork(db), principal=principal_for(staff.member),
                              promotion_id=promotion_id, data=data)  # fmt: skip
    except SoukError as exc:
        uow = UnitOfWork(db, write=False)
        return _codes_page(request, uow, promotion_id, form=typed, errors=exc)
    return _started(request, job.id)


def _import_page(
    request: Request, *, products: str = "", errors: SoukError | None = None
) -> Response:
    return render(
        request, "import.html", status=errors.status if errors else 200,
        title="Import products", products=products, errors=errors,
    )  # fmt: skip


@router.get("/admin/catalog/import")
def import_form(request: Request, _: CatalogScreen) -> Response:
    return _import_page(request)


def _parsed_products(text: str) -> object:
    if len(text) > MAX_IMPORT_CHARS:
        too_long = field_error("products", "at most 2 MB of JSON")
        raise ValidationFailed("Too much to import at once", errors=[too_long])
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(
            "The products are not valid JSON",
            errors=[field_error("products", f"line {exc.lineno}: {exc.msg}")],  # type: ignore[attr-defined]
        ) from exc
    # Either the API's body ({"products": [...]}) or the list alone.
    return parsed.get("products") if isinstance(parsed, dict) else parsed


@router.post("/admin/catalog/import")
def import_products(
    request: Request, staff: CatalogScreen, db: DatabaseDep, form: FormDep
) -> Response:
    text = form.fields.get("products", [""])[0]
    try:
        data = validated(CatalogImportCreate, {"products": _parsed_products(text)})
        job = start_catalog_import(uow=UnitOfWork(db), principal=principal_for(staff.member),
                                   data=data)  # fmt: skip
    except SoukError as exc:
        return _import_page(request, products=text, errors=exc)
    return _started(request, job.id)


@router.get("/admin/jobs/{job_id}")
def job_page(request: Request, staff: StaffDep, uow: ReadUowDep, job_id: JobIdPath) -> Response:
    job = service.get_job(uow=uow, job_id=job_id)
    if not staff.member.may_open(SCREEN_OF[JobKind(job.kind)]):
        raise Forbidden(f"A {job.kind} job is not open to the {staff.member.role} role")
    finished = job.status in FINISHED
    return render(request, "job.html", title="Job " + job.id, job=job, finished=finished)


@router.get("/admin/marketing/promotions/{promotion_id}/codes.csv")
def codes_csv(_: MarketingScreen, uow: ReadUowDep, promotion_id: PromotionIdPath) -> Response:
    return Response(
        codes.codes_csv(uow=uow, promotion_id=promotion_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{promotion_id}-codes.csv"',
                 **page_headers(private=True)},
    )  # fmt: skip
