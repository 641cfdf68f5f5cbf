"""A long operation in the console, in a real browser against a real `souk serve`: a
marketer starts a bulk generation of 2,000 codes, watches the progress bar move as the job
commits its steps, and downloads the codes when it is done. The server's own job runner is
off (SOUK_JOBS_POLL_S=0) so that the test runs the job one step at a time and sees each
step on the page, without sleeping."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Browser, expect

from souk.db.engine import Database
from souk.db.migrate import migrate
from souk.jobs import kinds, service
from souk.settings import Settings
from tests.browser.console_setup import axe_violations
from tests.browser.pages_support import Watch
from tests.conftest import ADMIN_KEY
from tests.console_factories import PASSWORD, make_staff
from tests.support.server import live_server


def test_a_bulk_code_generation_shows_its_progress_then_its_codes(
    browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    url = f"sqlite:///{tmp_path}/souk.sqlite3"
    db = Database(Settings(database_url=url, secret_key="jobs-browser-secret-key-0123456789"))
    migrate(db)
    make_staff(db, "marketer")
    with live_server(url, ADMIN_KEY, env={"SOUK_JOBS_POLL_S": "0"}) as server:
        admin = httpx.Client(base_url=server.url, timeout=60,
                             headers={"Authorization": f"Bearer {ADMIN_KEY}"})  # fmt: skip
        promotion = admin.post("/v1/promotions", json={
            "name": "Winter voucher", "coupon_required": True, "conditions": {},
            "actions": [{"type": "percent_off", "target": "order", "value": "10"}],
            "priority": 1, "stacking": "exclusive",
        }).json()  # fmt: skip
        page = browser.new_page()
        watch = Watch(page)
        page.goto(server.url + "/admin/marketing")
        page.get_by_label("Email").fill("marketer@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Generate codes for Winter voucher").click()
        assert axe_violations(page) == []

        # a count out of bounds is answered in the form, and nothing starts
        page.get_by_label("How many codes").fill("100001")
        page.get_by_role("button", name="Generate").click()
        expect(page.locator("#form-errors")).to_contain_text("less than or equal to 100000")
        expect(page.get_by_label("How many codes")).to_have_attribute("aria-invalid", "true")
        assert service.claim_next(db) is None

        page.get_by_label("How many codes").fill("2000")
        page.get_by_label("Prefix").fill("snow")
        page.get_by_role("button", name="Generate").click()
        expect(page.locator("#job-status")).to_have_text("Waiting to start.")
        expect(page.locator("#job-count")).to_have_text("0 of 2000 (0 %)")
        assert axe_violations(page) == []

        # the job's first step commits 500 codes: the page, polling, shows them
        job = service.claim_next(db)
        assert job is not None
        job.total = kinds.CODES_PER_STEP
        kinds.generate_codes(db, job)
        expect(page.locator("#job-count")).to_have_text("500 of 2000 (25 %)")
        expect(page.locator("#job-status")).to_have_text("Running…")
        expect(page.locator("#job-progress")).to_have_attribute("value", "500")
        page.screenshot(path=str(screenshots / "job-running.png"), full_page=True)

        # the rest, then the end: the page stops polling and offers the codes
        job.total = 2000
        kinds.generate_codes(db, job)
        assert service.finish(db, job)
        expect(page.locator("#job-status")).to_have_text("Done.")
        expect(page.locator("#job-count")).to_have_text("2000 of 2000 (100 %)")
        expect(page.locator("#job-result")).to_contain_text("2000 codes generated")
        expect(page.locator("#job")).not_to_have_attribute("hx-trigger", "every 1s")
        assert axe_violations(page) == []
        page.screenshot(path=str(screenshots / "job-done.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the codes (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        page.close()
        api_job = admin.get(f"/v1/jobs/{job.id}").json()
    db.dispose()
    assert len({r["code"] for r in rows}) == 2000
    assert all(r["code"].startswith("SNOW-") for r in rows)
    assert (api_job["status"], api_job["progress"], api_job["result"]["promotion"]) == (
        "succeeded", 2000, promotion["id"],
    )  # fmt: skip
    assert watch.refused == []
    assert watch.hosts == {urlparse(server.url).netloc}
