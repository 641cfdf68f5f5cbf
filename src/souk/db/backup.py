"""`souk backup` and `souk restore`: a consistent copy of a running database, and back.

SQLite goes through its online backup API, copying the whole file in one step inside one
read transaction: in WAL mode that snapshot never blocks the server's writers, and a backup
made in several steps would start over each time another connection writes. PostgreSQL goes
through its own tools, `pg_dump --format=custom` (one snapshot, without blocking writers)
and `pg_restore`. Point-in-time recovery with WAL archiving is an operator's setup, not a
command: docs/operations.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from souk.db import sealing
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
    sealed: bool = False


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


def _sqlite_copy(db: Database, target: sqlite3.Connection) -> None:
    source = sqlite3.connect(_sqlite_path(db))
    try:
        source.backup(target, pages=-1)
    finally:
        source.close()
    if target.execute("PRAGMA quick_check").fetchone() != ("ok",):
        raise BackupFailed("the copy failed its integrity check")


def _without_wal(image: bytes) -> bytes:
    """The image as a file in rollback-journal mode (what `PRAGMA journal_mode=DELETE` does
    to a clear backup): bytes 18 and 19 of the header are 2 for WAL, which an in-memory
    database cannot open. https://www.sqlite.org/fileformat.html#file_format_version_numbers"""
    if len(image) < 20 or image[18:20] != b"\x02\x02":
        return image
    return image[:18] + b"\x01\x01" + image[20:]


def _pg_dump_argv(db: Database) -> list[str]:
    return [
        _pg_tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--dbname={_libpq_url(db)}",
    ]


def _sealed_backup(db: Database, partial: Path, key: bytes) -> None:
    with partial.open("wb") as out:
        if db.is_sqlite:
            memory = sqlite3.connect(":memory:")
            try:
                _sqlite_copy(db, memory)
                image = memory.serialize()
            finally:
                memory.close()
            sealing.seal(io.BytesIO(_without_wal(image)), out, key)
            return
        dump = subprocess.Popen(_pg_dump_argv(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert dump.stdout is not None and dump.stderr is not None
        sealing.seal(dump.stdout, out, key)
        stderr = dump.stderr.read().decode(errors="replace")
        if dump.wait() != 0:
            raise BackupFailed(f"pg_dump failed: {stderr.strip()[:2000]}")


def backup(*, db: Database, path: Path, key: bytes | None = None) -> BackupInfo:
    """Write a consistent copy of the database to `path` (replaced only when complete),
    sealed with `key` when one is given."""
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = "sqlite" if db.is_sqlite else "postgresql"
    try:
        if key is not None:
            _sealed_backup(db, partial, key)
        elif db.is_sqlite:
            target = sqlite3.connect(partial)
            try:
                _sqlite_copy(db, target)
                # A backup is a single file: no WAL beside it.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        else:
            _run([*_pg_dump_argv(db), f"--file={partial}"])
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return BackupInfo(path=path, backend=backend, bytes=path.stat().st_size, sealed=key is not None)


def _kind_of(head: bytes, path: Path) -> str:
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise ValidationFailed(f"{path} is neither an SQLite backup nor a pg_dump custom archive")


@dataclass
class _Opened:
    """A backup file as a restore reads it: its kind, and its content for a sealed one
    (the first chunk already checked, so a wrong key fails before anything is touched)."""

    kind: str
    chunks: Iterator[bytes] | None = None


def _open(path: Path, key: bytes | None) -> _Opened:
    if not path.is_file():
        raise ValidationFailed(f"No backup file at {path}")
    with path.open("rb") as handle:
        head = handle.read(max(len(SQLITE_MAGIC), len(sealing.MAGIC)))
    if not sealing.is_sealed(head):
        return _Opened(_kind_of(head, path))
    if key is None:
        raise ValidationFailed(f"{path} is sealed: set SOUK_BACKUP_KEY to the key it was made with")
    chunks = _chunks_of(path, key)
    first = next(chunks, b"")

    def content() -> Iterator[bytes]:
        yield first
        yield from chunks

    return _Opened(_kind_of(first, path), content())


def _chunks_of(path: Path, key: bytes) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from sealing.unseal(handle, key)


def _is_empty(db: Database) -> bool:
    with db.engine.connect() as conn:
        return not inspect(conn).get_table_names()


def _restore_sqlite(db: Database, path: Path, chunks: Iterator[bytes] | None) -> None:
    if chunks is None:
        source = sqlite3.connect(path)
    else:
        # Every chunk is checked before the database file is opened for writing.
        source = sqlite3.connect(":memory:")
        source.deserialize(b"".join(chunks))
    db.dispose()
    target = sqlite3.connect(_sqlite_path(db))
    try:
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


def _restore_postgresql(argv: list[str], path: Path, chunks: Iterator[bytes] | None) -> None:
    if chunks is None:
        _run([*argv, str(path)])
        return
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=stderr)
        assert process.stdin is not None
        try:
            for chunk in chunks:
                process.stdin.write(chunk)
        except sealing.SealError:
            # Killed before its input ends, pg_restore's single transaction never commits.
            process.kill()
            process.wait()
            raise
        except BrokenPipeError:
            pass  # pg_restore stopped reading: its exit status and message say why
        finally:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        if process.wait() != 0:
            stderr.seek(0)
            message = stderr.read().decode(errors="replace").strip()[:2000]
            raise BackupFailed(f"pg_restore failed: {message}")


def restore(
    *, db: Database, path: Path, force: bool = False, key: bytes | None = None
) -> BackupInfo:
    """Load the backup at `path` into the configured database, which must be empty (a fresh
    database) unless `force` replaces what it holds. Stop the servers first. A sealed backup
    needs the `key` it was sealed with."""
    opened = _open(path, key)
    backend = "sqlite" if db.is_sqlite else "postgresql"
    if opened.kind != backend:
        raise ValidationFailed(f"{path} is a {opened.kind} backup; the database is {backend}")
    if not force and not _is_empty(db):
        raise ValidationFailed(
            "The database is not empty: restore into a fresh database, or pass --force "
            "to replace its contents"
        )
    if db.is_sqlite:
        _restore_sqlite(db, path, opened.chunks)
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
        _restore_postgresql(argv, path, opened.chunks)
    return BackupInfo(
        path=path, backend=backend, bytes=path.stat().st_size, sealed=opened.chunks is not None
    )
