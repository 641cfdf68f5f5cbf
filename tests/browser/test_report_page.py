"""The `souk report` page in a real browser: its charts draw, offline, with no errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from souk.analytics.refresh import refresh
from souk.analytics.report import render
from souk.db.engine import Database
from souk.settings import Settings
from tests.support.analytics_data import generate, insert_orders


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"analytics_path": str(tmp_path / "analytics.duckdb")})


def test_the_report_draws_its_charts_offline(
    browser: Browser, db: Database, tmp_path: Path
) -> None:
    insert_orders(db, generate(lines=300, days=14, start=datetime(2026, 2, 1, tzinfo=UTC)))
    refresh(db=db)
    page_file = tmp_path / "report.html"
    page_file.write_text(
        render(settings=db.settings, start=date(2026, 2, 1), end=date(2026, 2, 14))
    )

    page = browser.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(page_file.as_uri())

    assert page.title() == "Souk report 2026-02-01 to 2026-02-14"
    boxes = [svg.bounding_box() for svg in page.query_selector_all("svg")]
    assert len(boxes) == 7
    assert all(b is not None and b["width"] > 300 and b["height"] > 100 for b in boxes)
    # Three currencies, one line each, each with a point per day.
    lines = page.query_selector_all("polyline")
    assert len(lines) == 3
    assert all(len((line.get_attribute("points") or "").split()) == 14 for line in lines)
    assert page.locator(".card").count() >= 3 + 8
    assert requests == [page_file.as_uri()]
    assert problems == []
    page.close()
