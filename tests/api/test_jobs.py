"""Background jobs over HTTP (admin), on SQLite and PostgreSQL: a bulk code generation and a
catalog import start as jobs, report their progress at `GET /v1/jobs/{id}`, end with their
result; a job left by a crashed runner resumes where its last step committed, and the runner
that lost it writes nothing more."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.jobs import kinds, service
from souk.jobs.runner import JobRunner
from souk.jobs.steps import LeaseLost
from souk.jobs.tables import JobRow
from souk.promotions.tables import PromotionCodeRow
from tests.catalog_factories import make_product, product_body

PROBLEM = "https://souk.dev/problems/"


def _promotion(admin: TestClient) -> str:
    created = admin.post(
        "/v1/promotions",
        json={
            "name": "Winter voucher",
            "coupon_required": True,
            "actions": [{"type": "percent_off", "target": "order", "value": "10"}],
            "conditions": {},
            "priority": 1,
            "stacking": "exclusive",
        },
    )
    assert created.status_code == 201, created.text
    promotion_id: str = created.json()["id"]
    return promotion_id


def _run(admin: TestClient) -> int:
    runner: JobRunner = admin.app.state.job_runner  # type: ignore[attr-defined]
    return runner.run_pending()


def _codes(db: Database, promotion_id: str) -> int:
    with UnitOfWork(db, write=False) as uow:
        return (
            uow.session.scalar(
                select(func.count()).where(PromotionCodeRow.promotion_id == promotion_id)
            )
            or 0
        )


def test_a_bulk_code_generation_runs_as_a_job_and_reports_its_progress(
    admin: TestClient,
) -> None:
    pid = _promotion(admin)
    body = {"count": 1_200, "prefix": "bulk"}
    started = admin.post(f"/v1/promotions/{pid}/codes/jobs", json=body)
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert (job["kind"], job["status"], job["progress"], job["total"], job["percent"]) == (
        "promotion.codes", "queued", 0, 1_200, 0,
    )  # fmt: skip
    assert admin.get(f"/v1/jobs/{job['id']}").json() == job

    assert _run(admin) == 1

    done = admin.get(f"/v1/jobs/{job['id']}").json()
    assert (done["status"], done["progress"], done["percent"], done["error"]) == (
        "succeeded", 1_200, 100, None,
    )  # fmt: skip
    assert done["result"] == {
        "promotion": pid, "generated": 1_200, "export": f"/v1/promotions/{pid}/codes.csv",
    }  # fmt: skip
    assert done["started_at"] is not None and done["finished_at"] >= done["started_at"]
    rows = list(csv.DictReader(io.StringIO(admin.get(f"/v1/promotions/{pid}/codes.csv").text)))
    codes = {r["code"] for r in rows}
    assert len(rows) == len(codes) == 1_200
    assert all(c.startswith("BULK-") for c in codes)
    assert {r["usage_limit"] for r in rows} == {"1"}


def test_bad_job_requests_are_refused_and_start_nothing(admin: TestClient, db: Database) -> None:
    pid = _promotion(admin)
    for body in ({"count": 0}, {"count": 100_001}, {"count": "5"}, {"count": 5, "code": "X"}):
        refused = admin.post(f"/v1/promotions/{pid}/codes/jobs", json=body)
        assert refused.status_code == 422, (body, refused.text)
    unknown = admin.post("/v1/promotions/prm_nope/codes/jobs", json={"count": 5})
    assert unknown.status_code == 404
    assert unknown.json()["type"] == PROBLEM + "not-found"
    empty = admin.post("/v1/products/imports", json={"products": []})
    assert empty.status_code == 422
    assert admin.get("/v1/jobs/job_0123abcd").status_code == 404
    assert admin.get("/v1/jobs/not-a-job").status_code == 422
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(JobRow)) == 0
    del admin.headers["Authorization"]
    assert admin.post(f"/v1/promotions/{pid}/codes/jobs", json={"count": 5}).status_code == 401


def test_a_catalog_import_creates_each_product_and_lists_the_refused_ones(
    admin: TestClient,
) -> None:
    make_product(admin, "linen-shirt", ("LS-S",))
    products: list[dict[str, Any]] = [
        product_body("wool-hat", ("WH-1",)),
        product_body("linen-shirt", ("LS-X",)),  # the handle exists already
        product_body("silk-scarf", ("SS-1", "SS-2")),
    ]
    started = admin.post("/v1/products/imports", json={"products": products})
    assert started.status_code == 202, started.text
    assert started.json()["total"] == 3

    _run(admin)

    job = admin.get(f"/v1/jobs/{started.json()['id']}").json()
    assert (job["status"], job["progress"], job["percent"]) == ("succeeded", 3, 100)
    assert job["result"]["created"] == 2 and job["result"]["refused_count"] == 1
    [refused] = job["result"]["refused"]
    assert (refused["index"], refused["handle"], refused["status"]) == (1, "linen-shirt", 409)
    assert "already exists" in refused["detail"]
    assert [v["sku"] for v in admin.get("/v1/products/silk-scarf").json()["variants"]] == [
        "SS-1", "SS-2",
    ]  # fmt: skip
    assert admin.get("/v1/products/wool-hat").status_code == 200


def test_a_job_left_by_a_crash_resumes_after_its_last_step_and_the_old_runner_stops(
    admin: TestClient, db: Database
) -> None:
    pid = _promotion(admin)
    job_id = admin.post(f"/v1/promotions/{pid}/codes/jobs", json={"count": 1_200}).json()["id"]
    first = service.claim_next(db)
    assert first is not None and first.id == job_id
    # The first runner commits one step of 500 codes, then its server dies.
    first.total = kinds.CODES_PER_STEP
    kinds.generate_codes(db, first)
    assert admin.get(f"/v1/jobs/{job_id}").json()["progress"] == 500
    assert service.claim_next(db) is None  # its lease still holds
    with UnitOfWork(db) as uow:
        uow.session.execute(update(JobRow).values(lease_until=utcnow() - timedelta(seconds=1)))
        uow.commit()

    assert _run(admin) == 1

    job = admin.get(f"/v1/jobs/{job_id}").json()
    assert (job["status"], job["progress"]) == ("succeeded", 1_200)
    assert _codes(db, pid) == 1_200
    # The first runner wakes up and tries its next step: fenced off, nothing written.
    first.total = 1_200
    try:
        kinds.generate_codes(db, first)
    except LeaseLost:
        pass
    else:
        raise AssertionError("a runner that lost its job went on writing")
    assert _codes(db, pid) == 1_200
    assert service.finish(db, first) is False
