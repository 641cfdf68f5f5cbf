"""Shared by the inventory benchmarks (hot_sku, nearby): scratch databases, servers in
subprocesses, seeding, and a lean HTTP/1.1 load generator.

The load generator speaks raw HTTP/1.1 over keep-alive connections on one asyncio loop
(uvloop): the server and the clients share the machine's two cores, and a full client
library would spend more CPU per request than the server's hot path does.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "SOUK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SOUK = Path(sys.executable).with_name("souk")
ADMIN_KEY = "sk_bench_admin_" + secrets.token_hex(12)
_CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A database of its own: a scratch SQLite file, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"souk_bench_inv_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    url: str, workers: int, *, app: str | None = None, env: dict[str, str] | None = None
) -> Iterator[int]:
    """`souk serve` (or uvicorn on another app factory) on a free port; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "SOUK_DATABASE_URL": url,
        "SOUK_LOG_LEVEL": "WARNING",
        "SOUK_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "SOUK_SECRET_KEY": secrets.token_hex(32),
        "SOUK_AUTO_MIGRATE": "0",
        "PYTHONPATH": str(ROOT),
        # A bounded pool per worker: the PostgreSQL server is shared, and more connections
        # than cores only queue on the hot row's lock anyway.
        "SOUK_DB_POOL_SIZE": "12",
        "SOUK_DB_MAX_OVERFLOW": "0",
        **(env or {}),
    }
    if app is None:
        command = [str(SOUK), "serve", "--port", str(port), "--workers", str(workers)]
    else:
        command = [sys.executable, "-m", "uvicorn", app, "--factory", "--port", str(port)]
        command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("server did not become ready")
            time.sleep(0.1)  # polling for readiness
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True, slots=True)
class Sample:
    status: int
    latency_s: float
    done_at: float  # seconds since the start of the run


async def _client(
    port: int, requests: list[bytes], stop_on: int | None, count: int | None, start: asyncio.Event
) -> list[Sample]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    samples: list[Sample] = []
    await start.wait()
    origin = _ORIGIN[0]
    try:
        while count is None or len(samples) < count:
            began = time.perf_counter()
            writer.write(requests[len(samples) % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = _CONTENT_LENGTH.search(head)
            if length:
                await reader.readexactly(int(length.group(1)))
            now = time.perf_counter()
            samples.append(Sample(status, now - began, now - origin))
            if status >= 500 or status == stop_on:
                break
    finally:
        writer.close()
    return samples


_ORIGIN = [0.0]


def hammer(
    port: int,
    requests: list[bytes],
    *,
    clients: int,
    stop_on: int | None = None,
    count: int | None = None,
) -> tuple[list[Sample], float]:
    """`clients` connections, each sending the requests (in turn) back to back until it gets
    `stop_on` (or `count` answers). Returns every sample and the wall time of the run."""

    async def run() -> list[list[Sample]]:
        start = asyncio.Event()
        tasks = [
            asyncio.ensure_future(_client(port, requests[i:] + requests[:i], stop_on, count, start))
            for i in range(clients)
        ]
        await asyncio.sleep(0.2)  # let every connection open before the start signal
        _ORIGIN[0] = time.perf_counter()
        start.set()
        return list(await asyncio.gather(*tasks))

    try:
        import uvloop

        results = uvloop.run(run())
    except ImportError:
        results = asyncio.run(run())
    samples = [s for per_client in results for s in per_client]
    wall = max((s.done_at for s in samples), default=0.0)
    return samples, wall
