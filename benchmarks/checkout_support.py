"""What the flash_drop and checkout benchmarks share: scratch databases, `souk serve` in a
subprocess, a shop set up through the admin API, and the two baselines measured in the same
run (pgbench's conditional update on one hot row; a minimal FastAPI endpoint)."""

from __future__ import annotations

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
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.loadgen import Connection, run, run_pool

PG_ADMIN_URL = os.environ.get(
    "SOUK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BIN = Path(sys.executable).parent
ADMIN_KEY = "sk_bench_admin_" + secrets.token_hex(12)
ADDRESS = {"name": "Buyer", "line1": "1-1 Chiyoda", "city": "Tokyo", "country": "JP"}
CHANNELS = ("web", "app", "social")


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within 120 s")
        time.sleep(0.1)  # polling for readiness, not synchronising on a guess


@contextmanager
def souk_server(url: str, workers: int) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "SOUK_DATABASE_URL": url,
        "SOUK_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "SOUK_SECRET_KEY": secrets.token_hex(32),
        "SOUK_LOG_LEVEL": "WARNING",
    }
    command = [str(BIN / "souk"), "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base + "/readyz")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def minimal_server() -> Iterator[str]:
    port = free_port()
    command = [
        str(BIN / "uvicorn"),
        "benchmarks.minimal_app:app",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=Path(__file__).parents[1])
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base + "/ping")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def minimal_endpoint_rps(concurrency: int, seconds: float = 4.0) -> float:
    """Requests per second one uvicorn worker serves on a trivial FastAPI endpoint, driven
    by the same load generator as the benchmark."""
    with minimal_server() as base:

        async def main() -> int:
            done = 0
            stop = time.perf_counter() + seconds

            async def hammer(connection: Connection, _: Any) -> None:
                nonlocal done
                while time.perf_counter() < stop:
                    await connection.request("GET", "/ping")
                    done += 1

            await run_pool(range(concurrency), hammer, base_url=base, concurrency=concurrency)
            return done

        return float(run(main())) / seconds


def pgbench_hot_row_tps(clients: int, seconds: int = 4) -> float | None:
    """Conditional updates per second on one hot row — the shape of a flash drop's reserve —
    by pgbench against a scratch database (None when pgbench is missing)."""
    pgbench = "pgbench"
    if subprocess.run(["which", pgbench], capture_output=True).returncode != 0:
        return None
    with scratch_database("postgresql") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text("CREATE TABLE hot (id int PRIMARY KEY, on_hand bigint, reserved bigint)")
            )
            conn.execute(text("INSERT INTO hot VALUES (1, 1000000000000, 0)"))
        engine.dispose()
        parsed = make_url(url)
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(
                "UPDATE hot SET reserved = reserved + 1 WHERE id = 1 AND on_hand - reserved >= 1;\n"
            )
            script.flush()
            result = subprocess.run(
                [
                    pgbench, "-n", "-c", str(clients), "-j", str(min(clients, 2)),
                    "-T", str(seconds), "-f", script.name,
                    "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
                    "-U", parsed.username or "postgres", str(parsed.database),
                ],
                capture_output=True,
                text=True,
                check=True,
            )  # fmt: skip
    found = re.search(r"tps = ([0-9.]+)", result.stdout)
    return float(found.group(1)) if found else None


class Admin:
    """The operator's side of the set-up, over HTTP."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=60
        )

    def __call__(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.request(method, path, json=body)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def shop(self, products: dict[str, int], price: int = 25000) -> dict[str, str]:
        """A warehouse, three channels selling JPY with their storefront keys, one product
        per SKU listed everywhere with `units` in stock; returns channel → key."""
        self(
            "POST",
            "/v1/locations",
            {
                "code": "wh-1",
                "name": "Warehouse",
                "type": "warehouse",
                "address": {"country": "JP"},
                "timezone": "Asia/Tokyo",
            },
            201,
        )
        keys = {}
        for code in CHANNELS:
            self(
                "POST",
                "/v1/channels",
                {
                    "code": code,
                    "name": code.title(),
                    "type": code,
                    "default_currency": "JPY",
                    "currencies": ["JPY"],
                    "default_locale": "ja",
                    "locales": ["ja", "en"],
                    "country": "JP",
                    "prices_include_tax": True,
                    "ship_from": ["wh-1"],
                },
                201,
            )
            keys[code] = self(
                "POST",
                "/v1/api-keys",
                {"name": code, "role": "storefront", "channel": code},
                201,
            )["key"]
        for sku, units in products.items():
            handle = sku.lower()
            self(
                "POST",
                "/v1/products",
                {"handle": handle, "title": {"ja": sku, "en": sku}, "variants": [{"sku": sku}]},
                201,
            )
            for code in CHANNELS:
                self("PUT", f"/v1/products/{handle}/listings/{code}", {"published": True})
            self("PUT", "/v1/prices", [{"sku": sku, "currency": "JPY", "amount": price}])
            self(
                "POST",
                "/v1/inventory/movements",
                {"sku": sku, "location": "wh-1", "type": "receipt", "quantity": units},
                201,
            )
        self("POST", "/v1/tax-rates", {"country": "JP", "rate": "0.10"}, 201)
        self(
            "POST",
            "/v1/shipping-rates",
            {
                "code": "jp",
                "name": "Japan",
                "countries": ["JP"],
                "prices": [{"currency": "JPY", "amount": 800}],
            },
            201,
        )
        return keys

    def stock(self, sku: str) -> dict[str, int]:
        total: dict[str, int] = self("GET", f"/v1/inventory/{sku}")["total"]
        return total

    def count_orders(self) -> int:
        count, cursor = 0, None
        while True:
            page = self("GET", "/v1/orders?limit=200" + (f"&cursor={cursor}" if cursor else ""))
            count += len(page["data"])
            cursor = page["next_cursor"]
            if cursor is None:
                return count
