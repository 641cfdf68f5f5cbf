"""http_stack: what the HTTP stack costs per request, each choice measured in the same run.

    .venv/bin/python benchmarks/http_stack.py [--backend sqlite] [--requests 3000]
        [--clients 8] [--repeats 3] [--encode-iterations 300]

1. Encoding, in-process: a real 50-product catalog page (plain data) with the standard
   library's `json.dumps` against `orjson.dumps`; a real 3-line cart answer (`CartRead`)
   the way FastAPI treats a returned model with a `response_model` (dump, validate again,
   dump to JSON-able data, `json.dumps`) against Pydantic's own `model_dump_json` and
   against `orjson` on `model_dump(mode="json")`. CPU microseconds per encoding.
2. Servers: the same app (`souk.app:create_app_from_env`, one worker, one database) under
   uvicorn (httptools + uvloop, as `souk serve` runs it) and under granian (ASGI), taking
   turns within each repeat; `--clients` keep-alive connections send back to back a cheap
   read (`GET /v1/availability`: two statements) and a cached catalog page (no statement:
   the HTTP stack, routing, auth and the cache lookup only). Server CPU per request from
   /proc, requests/s, p99.
orjson and granian are measured only when installed (`pip install orjson granian`): they
are not dependencies unless a figure here makes them one (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from tests.support.server import free_port, wait_ready

from benchmarks.checkout_support import ADDRESS, Admin
from benchmarks.cpu import reference_loop_ms, server_cpu_s
from benchmarks.harness import ADMIN_KEY, ROOT, scratch_database, serve
from benchmarks.loadgen import hammer, http_request
from benchmarks.stats import emit, percentile, summarise
from souk.app import create_app
from souk.carts.schemas import CartRead
from souk.settings import Settings

try:
    import orjson
except ImportError:  # pragma: no cover - optional, measured when present
    orjson = None

PRODUCTS = 50


def _cpu_us(work: Callable[[], object], iterations: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(iterations):
            work()
        best = min(best, time.process_time() - started)
    return round(best * 1e6 / iterations, 1)


def encodings(backend: str, iterations: int) -> dict[str, Any]:
    skus = [f"SKU-{i:04d}" for i in range(PRODUCTS)]
    with scratch_database(backend) as url:
        settings = Settings(
            database_url=url,
            bootstrap_admin_key=ADMIN_KEY,
            secret_key=secrets.token_hex(32),
            dispatcher_enabled=False,
        )
        with TestClient(create_app(settings)) as client:
            client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
            keys = Admin("", client=client).shop(dict.fromkeys(skus, 1000), price=3000)
            client.headers.pop("Authorization")
            key = {"X-Publishable-Key": keys["web"]}
            page = client.get("/v1/catalog/products?limit=50", headers=key).json()
            cart = client.post("/v1/carts", json={"email": "a@example.jp"}, headers=key).json()
            for sku in skus[:3]:
                line = {"sku": sku, "quantity": 1}
                client.post(f"/v1/carts/{cart['id']}/lines", json=line, headers=key)
            body = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
            cart = client.patch(f"/v1/carts/{cart['id']}", json=body, headers=key).json()
    model = CartRead.model_validate(cart)

    def fastapi_way() -> bytes:
        again = CartRead.model_validate(model.model_dump())
        return json.dumps(again.model_dump(mode="json"), ensure_ascii=False).encode()

    result: dict[str, Any] = {
        "page_bytes": len(json.dumps(page, ensure_ascii=False).encode()),
        "page_json_dumps_us": _cpu_us(
            lambda: json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode(),
            iterations,
        ),
        "cart_bytes": len(model.model_dump_json()),
        "cart_fastapi_response_model_us": _cpu_us(fastapi_way, iterations),
        "cart_model_dump_json_us": _cpu_us(model.model_dump_json, iterations),
    }
    if orjson is not None:
        result["page_orjson_us"] = _cpu_us(lambda: orjson.dumps(page), iterations)
        result["cart_orjson_of_model_dump_us"] = _cpu_us(
            lambda: orjson.dumps(model.model_dump(mode="json")), iterations
        )
    return result


@contextmanager
def granian(url: str) -> Iterator[tuple[int, int]]:
    port = free_port()
    environment = {
        **os.environ,
        "SOUK_DATABASE_URL": url,
        "SOUK_AUTO_MIGRATE": "0",
        "SOUK_LOG_LEVEL": "WARNING",
        "SOUK_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "SOUK_SECRET_KEY": secrets.token_hex(32),
        "PYTHONPATH": str(ROOT),
    }
    command = [str(Path(sys.executable).with_name("granian")), "--interface", "asgi"]
    command += ["--factory", "--port", str(port), "--workers", "1", "--loop", "uvloop"]
    command += ["--no-ws", "--log-level", "warning", "souk.app:create_app_from_env"]
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        wait_ready(process, f"http://127.0.0.1:{port}/readyz", 180)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _load(port: int, pid: int, request: bytes, args: argparse.Namespace) -> dict[str, float]:
    hammer(port, [request], clients=args.clients, count=50)  # warm-up
    before = server_cpu_s(pid)
    samples, wall = hammer(
        port, [request], clients=args.clients, count=args.requests // args.clients
    )
    cpu_ms = (server_cpu_s(pid) - before) * 1000
    bad = [s.status for s in samples if s.status != 200]
    if bad:
        raise RuntimeError(f"unexpected answers: {bad[:5]}")
    return {
        "server_cpu_ms_per_request": round(cpu_ms / len(samples), 3),
        "requests_per_s": round(len(samples) / wall, 1),
        "p99_ms": round(percentile([s.latency_s * 1000 for s in samples], 99), 2),
    }


def servers(backend: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    with scratch_database(backend) as url:
        with serve(url, 1) as first:  # migrates and sets up the shop
            keys = Admin(first.base).shop({"SKU-0001": 1000}, price=3000)
        headers = {"X-Publishable-Key": keys["web"]}
        reads = {
            "availability": http_request("GET", "/v1/availability?sku=SKU-0001", b"", headers),
            "cached_catalog_page": http_request("GET", "/v1/catalog/products", b"", headers),
        }
        stacks = ["uvicorn"] + (
            ["granian"] if Path(sys.executable).with_name("granian").exists() else []
        )
        for repeat in range(args.repeats):
            for stack in stacks:
                context = (
                    serve(url, 1, env={"SOUK_AUTO_MIGRATE": "0"})
                    if stack == "uvicorn"
                    else granian(url)
                )
                with context as running:
                    port, pid = (running.port, running.pid) if stack == "uvicorn" else running
                    for name, request in reads.items():
                        figures = _load(port, pid, request, args)
                        record = {
                            "benchmark": "http_stack.server",
                            "backend": backend,
                            "stack": stack,
                            "request": name,
                            "repeat": repeat + 1,
                            **figures,
                        }
                        emit(record)
                        results.append(record)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--encode-iterations", type=int, default=300)
    args = parser.parse_args()
    reference = reference_loop_ms()
    emit(
        {
            "benchmark": "http_stack.encoding",
            "backend": args.backend,
            "reference_loop_ms": round(reference, 2),
            **encodings(args.backend, args.encode_iterations),
        }
    )
    results = servers(args.backend, args)
    for stack in sorted({r["stack"] for r in results}):
        for request in sorted({r["request"] for r in results}):
            mine = [r for r in results if r["stack"] == stack and r["request"] == request]
            emit(
                {
                    "benchmark": "http_stack.summary",
                    "backend": args.backend,
                    "stack": stack,
                    "request": request,
                    "reference_loop_ms": round(reference, 2),
                    **{
                        f: summarise([r[f] for r in mine])
                        for f in ("server_cpu_ms_per_request", "requests_per_s", "p99_ms")
                    },
                }
            )


if __name__ == "__main__":
    main()
