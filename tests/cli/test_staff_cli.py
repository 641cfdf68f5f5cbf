"""`souk staff`: accounts of the console, created as an operator creates them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from souk.staff import service

SOUK = str(Path(sys.executable).with_name("souk"))


def run(*args: str, url: str, password: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SOUK, "staff", *args],
        env={"SOUK_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "COLUMNS": "200",
             "STAFF_PASSWORD": password},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_create_then_sign_in_with_that_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/staff.sqlite3"
    made = run("create", "--email", "Ops@Example.com", "--role", "operations",
               "--password-env", "STAFF_PASSWORD", url=url, password="twelve chars ok")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created operations ops@example.com" in made.stdout
    db = Database(Settings(database_url=url))
    member, token, csrf = service.sign_in(
        uow=UnitOfWork(db), email="ops@example.com", password="twelve chars ok", ttl_s=60
    )
    assert (member.role, member.stores) == ("operations", ())
    assert service.session_member(uow=UnitOfWork(db), token=token) == (member, csrf)
    db.dispose()
    listed = run("list", url=url)
    assert "ops@example.com" in listed.stdout and "operations" in listed.stdout


def test_bad_accounts_are_refused_with_every_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/staff.sqlite3"
    refused = run("create", "--email", "not-an-email", "--role", "store_manager",
                  "--store", "nowhere", "--password-env", "STAFF_PASSWORD", url=url,
                  password="short")  # fmt: skip
    assert refused.returncode == 2
    for reason in ("email: is not an email address", "stores: no location 'nowhere'",
                   "password: must be 12 to 1024 characters"):  # fmt: skip
        assert reason in refused.stderr
    assert "error" in run("create", "--email", "a@b.co", "--role", "boss", url=url).stderr.lower()
    assert "a@b.co" not in run("list", url=url).stdout


def test_welcome_creates_a_first_admin_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/staff.sqlite3"
    first = run("welcome", url=url)
    assert "Admin console: http://127.0.0.1:8000/admin" in first.stdout
    found = re.search(r"Sign in as admin@example.com with the password (\S+)", first.stdout)
    assert found
    db = Database(Settings(database_url=url))
    member, _, _ = service.sign_in(
        uow=UnitOfWork(db), email="admin@example.com", password=found.group(1), ttl_s=60
    )
    db.dispose()
    assert member.role == "admin"
    again = run("welcome", url=url)
    assert "password" not in again.stdout and "Sign in with your staff account" in again.stdout
