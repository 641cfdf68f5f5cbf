"""Long operations in the console over HTTP, on both back ends: the forms start the same jobs
as the API, refuse what the API refuses (in the page, starting nothing), need their CSRF
token and the role's screen; the job's page polls until the job is done, then shows what
it made."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.jobs.runner import JobRunner
from souk.jobs.tables import JobRow
from tests.catalog_factories import product_body
from tests.console_factories import make_staff, signed_in
from tests.fulfilment_factories import FrenchShop, french_shop


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _jobs(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(JobRow)) or 0)


def _run(client: TestClient) -> None:
    runner: JobRunner = client.app.state.job_runner  # type: ignore[attr-defined]
    runner.run_pending()


def test_a_catalog_import_is_started_from_the_console_and_followed_to_its_end(
    fr: FrenchShop, db: Database
) -> None:
    csrf = signed_in(fr.admin, make_staff(db, "operations"))
    form = fr.admin.get("/admin/catalog/import")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]

    broken = fr.admin.post("/admin/catalog/import", data={"csrf_token": csrf,
                                                          "products": "[{oops"})  # fmt: skip
    assert broken.status_code == 422
    assert "not valid JSON" in broken.text and "[{oops" in broken.text
    bad = [product_body("Not A Handle!", ("X-1",))]
    invalid = fr.admin.post("/admin/catalog/import",
                            data={"csrf_token": csrf, "products": json.dumps(bad)})  # fmt: skip
    assert invalid.status_code == 422 and "products.0.handle" in invalid.text
    no_token = fr.admin.post("/admin/catalog/import", data={"products": "[]"})
    assert no_token.status_code == 403
    assert _jobs(db) == 0

    good = {"products": [product_body("wool-hat", ("WH-1",)), product_body("tea", ("TEA-1",))]}
    started = fr.admin.post("/admin/catalog/import", follow_redirects=False,
                            data={"csrf_token": csrf, "products": json.dumps(good)})  # fmt: skip
    assert started.status_code == 303
    job_url = started.headers["location"]
    waiting = fr.admin.get(job_url)
    assert 'hx-trigger="every 1s"' in waiting.text and "Waiting to start." in waiting.text
    assert waiting.headers["cache-control"] == "no-store"

    _run(fr.admin)

    done = fr.admin.get(job_url).text
    assert "hx-trigger" not in done
    assert "2 products created, 0 refused." in done and 'value="2"' in done
    assert fr.admin.get("/v1/products/wool-hat").status_code == 200


def test_codes_are_generated_from_the_console_by_marketers_only(
    fr: FrenchShop, db: Database
) -> None:
    promotion = fr.admin.post("/v1/promotions", json={
        "name": "Spring", "coupon_required": True, "conditions": {}, "priority": 1,
        "actions": [{"type": "percent_off", "target": "order", "value": "5"}],
        "stacking": "exclusive",
    }).json()  # fmt: skip
    marketer = TestClient(fr.admin.app)
    csrf = signed_in(marketer, make_staff(db, "marketer"))
    assert (
        f"/admin/marketing/promotions/{promotion['id']}/codes"
        in marketer.get("/admin/marketing").text
    )
    url = f"/admin/marketing/promotions/{promotion['id']}/codes"
    typo = marketer.post(url, data={"csrf_token": csrf, "count": "lots", "prefix": ""})
    assert typo.status_code == 422 and 'aria-invalid="true"' in typo.text
    assert 'value="lots"' in typo.text  # the form keeps what was typed
    assert _jobs(db) == 0

    started = marketer.post(url, data={"csrf_token": csrf, "count": "700", "prefix": "spr"},
                            follow_redirects=False)  # fmt: skip
    job_url = started.headers["location"]
    _run(fr.admin)
    page = marketer.get(job_url).text
    assert "700 codes generated." in page and "700 of 700 (100 %)" in page
    exported = marketer.get(f"{url}.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert len(exported.text.strip().splitlines()) == 701

    # Operations do not open promotions: neither the form nor the job's page.
    operations = TestClient(fr.admin.app)
    signed_in(operations, make_staff(db, "operations"))
    assert operations.get(url).status_code == 403
    assert operations.get(job_url).status_code == 403
    assert marketer.get("/admin/jobs/job_00ff").status_code == 404
