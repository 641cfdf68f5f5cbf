"""What every HTTP benchmark needs around the thing it measures: a scratch database per run,
a server in a subprocess on a free port, and the database's own ceiling (pgbench) for the
hot-row benchmarks. One copy, so that every benchmark starts its servers the same way."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.support.server import free_port, wait_ready

from benchmarks.stats import percentile

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "SOUK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# The server under test; SOUK_BENCH_SOUK names another build's `souk` (e.g. the recorded
# commit's, checked out in its own worktree) to measure it in the same run.
SOUK = Path(os.environ.get("SOUK_BENCH_SOUK") or Path(sys.executable).with_name("souk"))
ADMIN_KEY = "sk_bench_admin_" + secrets.token_hex(12)
# Three servers starting on a loaded 2-core machine have taken > 60 s, two PostgreSQL workers
# under five agents' test runs > 180 s: SOUK_BENCH_READY_S raises it for such a run.
READY_TIMEOUT_S = float(os.environ.get("SOUK_BENCH_READY_S", "180"))


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A database of its own: a scratch SQLite file, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown back end {backend!r} (sqlite or postgresql)")
    name = f"souk_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def count_rows(url: str, table: str) -> int:
    """What the database holds, not what the HTTP answers said."""
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return count


@dataclass(frozen=True, slots=True)
class Server:
    base: str
    port: int
    pid: int


@contextmanager
def serve(
    url: str | None,
    workers: int,
    *,
    app: str | None = None,
    factory: bool = True,
    ready_path: str = "/readyz",
    env: dict[str, str] | None = None,
    souk: Path | None = None,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> Iterator[Server]:
    """`souk serve` on `url` — or uvicorn on another application (`module:name`, an app
    factory unless `factory=False`) — on a free port, until the block ends."""
    port = free_port()
    environment = {
        **os.environ,
        "SOUK_LOG_LEVEL": "WARNING",
        "SOUK_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "SOUK_SECRET_KEY": secrets.token_hex(32),
        "PYTHONPATH": str(ROOT),
        **({"SOUK_DATABASE_URL": url} if url else {}),
        **(env or {}),
    }
    if app is None:
        command = [str(souk or SOUK), "serve", "--port", str(port), "--workers", str(workers)]
    else:
        command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
        command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        command += ["--factory"] if factory else []
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base + ready_path, ready_timeout_s)
        yield Server(base, port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A loaded machine can keep workers past 30 s, or a server can still be migrating
            # when it is told to stop: killed, so the figures are kept and nothing is left.
            process.kill()
            process.wait()


def pgbench_hot_row(url: str, clients: int, seconds: int) -> dict[str, Any] | None:
    """The database's own ceiling for a hot SKU: pgbench running one conditional UPDATE on
    one row per transaction, from `clients` connections. None when pgbench is missing."""
    if subprocess.run(["which", "pgbench"], capture_output=True).returncode != 0:
        return None
    parsed = make_url(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_hot"))
        conn.execute(
            text("CREATE TABLE bench_hot (id int PRIMARY KEY, on_hand bigint, reserved bigint)")
        )
        conn.execute(text("INSERT INTO bench_hot VALUES (1, 1000000000000, 0)"))
    engine.dispose()
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "hot.sql"
        script.write_text(
            "UPDATE bench_hot SET reserved = reserved + 1"
            " WHERE id = 1 AND on_hand - reserved >= 1;\n"
        )
        command = ["pgbench", "-n", "-h", parsed.host or "127.0.0.1"]
        command += ["-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
        command += ["-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds)]
        command += ["-f", str(script), "-l", "--log-prefix", str(Path(folder) / "log")]
        result = subprocess.run(
            [*command, parsed.database or ""],
            capture_output=True,
            text=True,
            cwd=folder,
            check=True,
        )
        latencies = [
            int(line.split()[2]) / 1000
            for log in Path(folder).glob("log*")
            for line in log.read_text().splitlines()
        ]
    tps = next(
        float(line.split("=")[1].split()[0])
        for line in result.stdout.splitlines()
        if line.startswith("tps")
    )
    return {
        "per_s": round(tps, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


def admin_client(base: str) -> httpx.Client:
    """The operator's side of a benchmark's set-up, over HTTP with the bootstrap admin key."""
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=120
    )


def expect_ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response


def eur_web_channel(ship_from: list[str]) -> dict[str, Any]:
    """A French web shop in euros; it names no pickup list, so every pickup point counts."""
    return {
        "code": "web",
        "name": "Web",
        "type": "web",
        "default_currency": "EUR",
        "currencies": ["EUR"],
        "default_locale": "en",
        "locales": ["en"],
        "country": "FR",
        "prices_include_tax": True,
        "ship_from": ship_from,
        "pickup_at": [],
    }
