"""`souk report` and `souk analytics refresh`, run as a user runs them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from souk.db.engine import Database
from souk.settings import Settings
from tests.cli.test_cli import run
from tests.support.analytics_data import generate, insert_orders


@pytest.fixture
def shop_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/report.sqlite3"
    assert run("migrate", database_url=url).returncode == 0
    db = Database(Settings(database_url=url))
    orders = generate(lines=400, days=10, start=datetime(2026, 2, 1, tzinfo=UTC))
    insert_orders(db, orders)
    db.dispose()
    return url


def test_report_writes_a_page_with_charts_per_currency(shop_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(
        "report", "--from", "2026-02-01", "--to", "2026-02-10", "--out", str(out),
        database_url=shop_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "<h1>Souk report, 2026-02-01 to 2026-02-10</h1>" in page
    # One revenue line chart per currency the generator sells in, never one mixed axis.
    for currency in ("EUR", "USD", "JPY"):
        assert f"Revenue per day, {currency} (minor units)" in page
        assert f"Revenue by channel, {currency}" in page
    assert page.count("<svg") == 7
    # Self-contained: nothing fetched from elsewhere (the SVG namespace is a name, not a URL).
    assert re.findall(r"(?:src|href)=", page) == []


def test_report_refuses_a_period_that_ends_before_it_starts(shop_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(
        "report", "--from", "2026-02-10", "--to", "2026-02-01", "--out", str(out),
        database_url=shop_url,
    )  # fmt: skip
    assert result.returncode == 2
    assert "ends (2026-02-01) before it starts (2026-02-10)" in result.stderr
    assert not out.exists()


def test_refresh_says_what_it_copied(shop_url: str) -> None:
    first = run("analytics", "refresh", database_url=shop_url)
    assert first.returncode == 0, first.stderr
    assert "order_lines 400" in first.stdout
    again = run("analytics", "refresh", database_url=shop_url)
    # Only the overlap (the last five minutes before the watermark) is read again.
    copied = re.search(r"order_lines (\d+)", again.stdout)
    assert copied is None or int(copied.group(1)) < 10, again.stdout
