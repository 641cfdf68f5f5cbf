"""`souk forecast` and `souk recs refresh`, run as a user runs them, on a fresh database:
they migrate it, find nothing to do yet, and say so rather than fail."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run


def test_the_jobs_run_on_an_empty_shop_and_report_what_they_did(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/jobs.sqlite3"
    forecast = run("forecast", database_url=url)
    assert forecast.returncode == 0, forecast.stderr
    assert "0 weekly series forecast" in forecast.stdout
    assert "0 transfer proposals" in forecast.stdout
    daily = run("forecast", "--frequency", "day", database_url=url)
    assert daily.returncode == 0 and "0 daily series forecast" in daily.stdout
    wrong = run("forecast", "--frequency", "month", database_url=url)
    assert wrong.returncode == 2 and "month" in wrong.stderr
    unknown = run("forecast", "--promotion", "prm_nope", database_url=url)
    assert unknown.returncode == 2 and "No active promotion 'prm_nope'" in unknown.stderr
    plain = run("forecast", "--no-effects", database_url=url)
    assert plain.returncode == 0 and "0 with effects" in plain.stdout
    recs = run("recs", "refresh", database_url=url)
    assert recs.returncode == 0, recs.stderr
    assert "0 new orders, 0 new views, 0 personalised lists" in recs.stdout
