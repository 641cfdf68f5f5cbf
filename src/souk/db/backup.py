"""`souk backup` and `souk restore`: a consistent copy of a running database, and back.

SQLite goes through its online backup API, copying the whole file in one step inside one
read transaction: in WAL mode that snapshot never blocks the server's writers, and a backup
made in several steps would start over each time another connection writes. PostgreSQL goes
through its own tools, `pg_dump --format=custom` (one snapshot, without blocking writers)
and `pg_restore`. Point-in-time recovery with WAL archiving is an operator's setup, not a
command: docs/operations.md.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from souk.db.engine import Database
from souk.errors import SoukError, ValidationFailed

SQLITE_MAGIC = b"SQLite format 3\0"
PG_CUSTOM_MAGIC = b"PGDMP"
PG_BIN_DIRS = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
)


class BackupFailed(SoukError):
    status = 500
    problem = "backup-failed"
    title = "Backup or restore failed"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    backend: str
    bytes: int


def _sqlite_path(db: Database) -> Path:
    database = make_url(db.url).database
    if not database or database == ":memory:":
        raise ValidationFailed("An in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq_url(db: Database) -> str:
    # pg_dump speaks libpq URLs: the SQLAlchemy driver suffix must go.
    url = make_url(db.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    override = os.environ.get("SOUK_PG_BIN")
    for directory in ((override,) if override else ()) + PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"{name} not found: install postgresql-client or set SOUK_PG_BIN")
    return found


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(f"{Path(argv[0]).name} failed: {done.stderr.strip()[:2000]}")


def backup(*, db: Database, path: Path) -> BackupInfo:
    """Write a consistent copy of the database to `path` (replaced only when complete)."""
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    if db.is_sqlite:
        source = sqlite3.connect(_sqlite_path(db))
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=-1)
            # A backup is a single file: no WAL beside it.
            target.execute("PRAGMA journal_mode=DELETE")
            if target.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupFailed("the copy failed its integrity check")
        finally:
            target.close()
            source.close()
        backend = "sqlite"
    else:
        _run(
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={partial}",
                f"--dbname={_libpq_url(db)}",
            ]
        )
        backend = "postgresql"
    partial.replace(path)
    return BackupInfo(path=path, backend=backend, bytes=path.stat().st_size)


def _kind_of(path: Path) -> str:
    if not path.is_file():
        raise ValidationFailed(f"No backup file at {path}")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise ValidationFailed(f"{path} is neither an SQLite backup nor a pg_dump custom archive")


def _is_empty(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not inspect(conn).get_table_names()


def restore(*, db: Database, path: Path, force: bool = False) -> BackupInfo:
    """Load the backup at `path` into the configured database, which must be empty (a fresh
    database) unless `force` replaces what it holds. Stop the servers first."""
    kind = _kind_of(path)
    backend = "sqlite" if db.is_sqlite else "postgresql"
    if kind != backend:
        raise ValidationFailed(f"{path} is a {kind} backup; the database is {backend}")
    if not force and not _is_empty(db):
        raise ValidationFailed(
            "The database is not empty: restore into a fresh database, or pass --force "
            "to replace its contents"
        )
    if db.is_sqlite:
        db.dispose()
        source = sqlite3.connect(path)
        target = sqlite3.connect(_sqlite_path(db))
        try:
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
            source.close()
    else:
        argv = [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_libpq_url(db)}",
        ]
        if force:
            argv += ["--clean", "--if-exists"]
        _run([*argv, str(path)])
    return BackupInfo(path=path, backend=backend, bytes=path.stat().st_size)
