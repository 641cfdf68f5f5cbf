"""The `souk` command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from souk.access.tables import ApiKey
from souk.db.engine import Database
from souk.settings import Settings

SOUK = str(Path(sys.executable).with_name("souk"))


def run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SOUK, *args],
        env={"SOUK_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.sqlite3"


def test_help_lists_every_command(sqlite_url: str) -> None:
    result = run("--help", database_url=sqlite_url)
    assert result.returncode == 0
    for command in ("serve", "migrate", "keys", "demo"):
        assert command in result.stdout
    for sub in (["keys", "create", "--help"], ["demo", "load", "--help"], ["serve", "--help"]):
        helped = run(*sub, database_url=sqlite_url)
        assert helped.returncode == 0, helped.stderr
        assert "--" in helped.stdout


def test_the_command_starts_without_importing_the_platform() -> None:
    # Every cron job, `souk --help` and the supervisor of `souk serve --workers N` start
    # `souk`; a command imports what it uses when it runs.
    heavy = ("souk.app", "souk.wiring", "sqlalchemy", "fastapi", "duckdb", "scipy", "jinja2")
    probe = (
        "import sys, souk.cli; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m in {heavy!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_migrate_then_create_admin_key_stores_only_its_hash(sqlite_url: str) -> None:
    assert run("migrate", database_url=sqlite_url).returncode == 0
    created = run("keys", "create", "--role", "admin", "--name", "ops", database_url=sqlite_url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("sk_")
    db = Database(Settings(database_url=sqlite_url))
    with db.transaction(write=False) as session:
        rows = list(session.scalars(select(ApiKey)))
    db.dispose()
    assert [r.name for r in rows] == ["ops"]
    assert secret not in {r.key_hash for r in rows}
    listed = run("keys", "list", database_url=sqlite_url)
    assert "ops" in listed.stdout and secret not in listed.stdout


def test_bad_key_bindings_are_refused_clearly(sqlite_url: str) -> None:
    result = run("keys", "create", "--role", "pos", "--name", "till", database_url=sqlite_url)
    assert result.returncode == 2
    assert "bound to a channel" in result.stderr
    unknown_role = run("keys", "create", "--role", "wizard", "--name", "x", database_url=sqlite_url)
    assert unknown_role.returncode == 2
    assert "wizard" in unknown_role.stderr
