"""What each kind of job does, one committed step at a time, through the domains' own
services (the same ones `POST /v1/promotions/{id}/codes` and `POST /v1/products` call)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from souk.catalog.schemas import ProductCreate
from souk.catalog.service import create_product
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, SoukError
from souk.jobs.models import JobKind
from souk.jobs.service import Claimed
from souk.jobs.steps import LeaseLost, advance, step
from souk.promotions.codes import add_codes
from souk.promotions.schemas import CodesCreate

CODES_PER_STEP = 500
COLLISION_RETRIES = 3
REFUSALS_KEPT = 100


def generate_codes(db: Database, job: Claimed) -> None:
    """Codes in steps of 500, each step's codes and the new count in one transaction."""
    params = job.params
    promotion = params["promotion"]
    while job.progress < job.total:
        size = min(CODES_PER_STEP, job.total - job.progress)
        data = CodesCreate(count=size, prefix=params.get("prefix"),
                           usage_limit=params.get("usage_limit"))  # fmt: skip
        done = job.progress + size
        result = {
            "promotion": promotion,
            "generated": done,
            "export": f"/v1/promotions/{promotion}/codes.csv",
        }
        for attempt in range(COLLISION_RETRIES):
            try:
                step(job, done=done, result=result,
                     work=partial(add_codes, uow=UnitOfWork(db), promotion_id=promotion,
                                  data=data))  # fmt: skip
                break
            except AlreadyExists:
                # A generated code met an existing one (1 in 2^40 per code): new codes.
                if attempt == COLLISION_RETRIES - 1:
                    raise


def import_catalog(db: Database, job: Claimed) -> None:
    """Each product created as `POST /v1/products` would; a refusal is listed, not fatal."""
    products = job.params["products"]
    created = int(job.result.get("created", 0))
    refused: list[dict[str, Any]] = list(job.result.get("refused", []))
    refused_count = int(job.result.get("refused_count", 0))
    for index in range(job.progress, len(products)):
        data = ProductCreate.model_validate(products[index])
        try:
            step(job, done=index + 1,
                 result={"created": created + 1, "refused": refused,
                         "refused_count": refused_count},
                 work=partial(create_product, uow=UnitOfWork(db), data=data))  # fmt: skip
            created += 1
        except LeaseLost:
            raise
        except SoukError as exc:
            refused_count += 1
            if len(refused) < REFUSALS_KEPT:
                refused.append({"index": index, "handle": data.handle, "status": exc.status,
                                "detail": exc.detail, "errors": exc.errors})  # fmt: skip
            advance(db, job, done=index + 1,
                    result={"created": created, "refused": refused,
                            "refused_count": refused_count})  # fmt: skip


Handler = Callable[[Database, Claimed], None]
HANDLERS: dict[JobKind, Handler] = {
    JobKind.PROMOTION_CODES: generate_codes,
    JobKind.CATALOG_IMPORT: import_catalog,
}
