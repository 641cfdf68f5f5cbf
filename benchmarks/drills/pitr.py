"""pitr: a point-in-time recovery drill on PostgreSQL with WAL archiving.

    .venv/bin/python benchmarks/drills/pitr.py [--batch 200]

On a private cluster (never the machine's shared server) with `archive_mode = on`: migrate a
Souk database, write batch A (API keys through Souk's own service), take a base backup
(`pg_basebackup`), write batch B, note the time T, write batch C (the "mistake"), archive the
last WAL segment, crash the primary. Then recover a new cluster from the base backup and the
archive to T (`recovery_target_time`) and check: A and B are there, C is not, the schema is
current. Prints one JSON line; exits non-zero if a check fails.
The steps are those of docs/operations.md ("Point-in-time recovery").
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text
from tests.support.pg_cluster import (
    PrivateCluster,
    give_to_server_user,
    make_root,
    unavailable_reason,
)

from souk.access import service as access_service
from souk.access.models import Role
from souk.access.schemas import ApiKeyCreate
from souk.db.engine import Database
from souk.db.migrate import is_up_to_date, migrate
from souk.db.uow import UnitOfWork
from souk.settings import Settings


def write_batch(db: Database, label: str, count: int) -> set[str]:
    return {
        access_service.create_key(
            uow=UnitOfWork(db), data=ApiKeyCreate(name=f"{label}-{n}", role=Role.ADMIN)
        ).id
        for n in range(count)
    }


def key_ids(db: Database) -> set[str]:
    with db.transaction(write=False) as session:
        return set(session.scalars(text("SELECT id FROM api_keys")))


def wait_archived(cluster: PrivateCluster, segment: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        last = cluster.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
        if last >= segment:
            return
        time.sleep(0.2)  # polling the archiver
    raise TimeoutError(f"WAL segment {segment} was not archived within {timeout_s} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=200, help="API keys written per batch")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(json.dumps({"drill": "pitr", "skipped": reason}))
        return 2

    root = make_root("souk-pitr-")
    archive = root / "archive"
    archive.mkdir()
    give_to_server_user(archive)
    primary = PrivateCluster(
        root / "primary",
        settings={
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'",
            "archive_timeout": "0",
        },
    )
    recovered: PrivateCluster | None = None
    started = time.monotonic()
    result: dict[str, object] = {"drill": "pitr", "batch": args.batch}
    try:
        primary.root.mkdir()
        give_to_server_user(primary.root)
        primary.init()
        primary.start()
        primary.psql("CREATE DATABASE souk")
        db = Database(Settings(database_url=primary.url("souk")))
        migrate(db)
        batch_a = write_batch(db, "a", args.batch)

        base = root / "base"
        t0 = time.monotonic()
        primary.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(base),
            "-c",
            "fast",
        )
        result["base_backup_s"] = round(time.monotonic() - t0, 2)

        batch_b = write_batch(db, "b", args.batch)
        target = primary.psql("SELECT now()")
        # Everything committed before T is before T in the WAL; sleep past T's clock tick so
        # that batch C is strictly later.
        time.sleep(1.0)
        batch_c = write_batch(db, "c", args.batch)
        db.dispose()
        segment = primary.psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
        primary.psql("SELECT pg_switch_wal()")
        wait_archived(primary, segment)
        primary.stop("immediate")  # the primary is lost; only the base backup and archive remain

        recovered = PrivateCluster(root / "recovered")
        recovered.root.mkdir()
        shutil.copytree(base, recovered.data, symlinks=True)
        give_to_server_user(recovered.root, recovered.data, *recovered.data.rglob("*"))
        recovered.data.chmod(0o700)
        with (recovered.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {recovered.port}\n"
                f"unix_socket_directories = '{recovered.root}'\n"
                "archive_mode = off\n"
                f"restore_command = 'cp {archive}/%f %p'\n"
                f"recovery_target_time = '{target}'\n"
                "recovery_target_action = 'promote'\n"
            )
        (recovered.data / "recovery.signal").touch()
        give_to_server_user(recovered.data / "recovery.signal")
        t0 = time.monotonic()
        recovered.start()
        deadline = time.monotonic() + 120
        while recovered.psql("SELECT pg_is_in_recovery()") == "t":
            if time.monotonic() > deadline:
                raise TimeoutError("recovery did not finish within 120 s")
            time.sleep(0.2)  # polling the promotion
        result["recovery_s"] = round(time.monotonic() - t0, 2)

        restored_db = Database(Settings(database_url=recovered.url("souk")))
        found = key_ids(restored_db)
        checks = {
            "batch_a_present": batch_a <= found,
            "batch_b_present": batch_b <= found,
            "batch_c_absent": not (batch_c & found),
            "schema_current": is_up_to_date(restored_db),
        }
        restored_db.dispose()
        result.update(checks)
        result["archived_segments"] = len(list(archive.iterdir()))
        result["target_time"] = target
        result["ok"] = all(checks.values())
    finally:
        result["total_s"] = round(time.monotonic() - started, 2)
        for cluster in (recovered, primary):
            if cluster is not None:
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
