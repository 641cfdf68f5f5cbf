"""A private PostgreSQL cluster of one test or drill: its own data directory and port, so it
can be stopped, crashed and restarted without touching the machine's shared server (which
other test processes use).

PostgreSQL refuses to run as root, so as root every server binary runs as the `postgres`
user (through `runuser`) on a directory that user owns.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.server import free_port

PG_BIN = Path(os.environ.get("SOUK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def unavailable_reason() -> str | None:
    """Why a private cluster cannot be made here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL server binaries in {PG_BIN} (set SOUK_PG_BIN)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as another user"
    return None


def _as_owner(argv: Sequence[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return list(argv)


@dataclass
class PrivateCluster:
    root: Path
    port: int = field(default_factory=free_port)
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _as_owner([str(PG_BIN / argv[0]), *argv[1:]]),
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "60",
            "shared_buffers": "16MB",
            "fsync": "off",
            **self.settings,
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in options.items())

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self.run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-Atc",
            sql,
        )
        return done.stdout.strip()


@contextmanager
def streaming_replica(primary: PrivateCluster) -> Iterator[PrivateCluster]:
    """A hot standby of `primary` (pg_basebackup -R), started on a port of its own."""
    replica = PrivateCluster(make_root("souk-replica-"))
    try:
        replica.run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(replica.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with (replica.data / "postgresql.conf").open("a") as conf:
            # The copied configuration names the primary's port; the last setting wins.
            conf.write(f"port = {replica.port}\nunix_socket_directories = '{replica.root}'\n")
        replica.start()
        yield replica
    finally:
        replica.stop("immediate")
        shutil.rmtree(replica.root, ignore_errors=True)


def give_to_server_user(*paths: Path) -> None:
    """Hand files over to the user the server runs as (only needed as root)."""
    if os.geteuid() == 0:
        for path in paths:
            shutil.chown(path, "postgres", "postgres")


def make_root(prefix: str = "souk-pg-") -> Path:
    """A directory the server's user can own (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    give_to_server_user(root)
    return root


@contextmanager
def private_cluster(settings: dict[str, str] | None = None) -> Iterator[PrivateCluster]:
    """Init and start a cluster; stop it and remove its files on exit."""
    cluster = PrivateCluster(make_root(), settings=settings or {})
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.root, ignore_errors=True)
