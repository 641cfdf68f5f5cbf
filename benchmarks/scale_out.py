"""scale_out: the mixed load (benchmarks/mixed_load.py) through nginx in front of 1, 2 and 4
Souk server processes on one PostgreSQL database.

    .venv/bin/python benchmarks/scale_out.py [--processes 1,2,4] [--seconds 30]
        [--concurrency 16] [--products 50] [--replica]

For each process count: a scratch PostgreSQL database, that many `souk serve --workers 1`
processes on their own ports (as if on several hosts), and Debian's nginx in front of them
(`least_conn`, keep-alive to the upstreams, no retry of a POST on another upstream). After
the set-up through the admin API, `--concurrency` shoppers and tills run visits back to back
for `--seconds` through nginx. Reports visits and requests per second, p50/p99 per kind of
request, errors (5xx or no answer), the orders in the database, the server CPU per request
and the load average before and after (the machine is shared: the ceiling is where adding
processes stops adding requests/s). Prints one JSON line per process count.

With `--replica`, the database is a private PostgreSQL cluster with a local streaming replica
(a second cluster on another port, `pg_basebackup -R`), and catalog and availability reads
go to the replica while it is within SOUK_REPLICA_MAX_LAG_MS (docs/deployment.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.pg_cluster import private_cluster, streaming_replica
from tests.support.server import free_port, wait_ready

from benchmarks import procstats
from benchmarks.harness import count_rows, scratch_database, serve
from benchmarks.loadgen import Connection, run
from benchmarks.mixed_load import Recorder, errors, set_up, summarise, visit

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream souk {{
        least_conn;
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://souk;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


@contextmanager
def nginx(upstream_ports: list[int]) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="souk-nginx-") as folder:
        root = Path(folder)
        root.chmod(0o777)  # nginx's worker runs as nobody and buffers bodies here
        port = free_port()
        servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstream_ports)
        (root / "nginx.conf").write_text(NGINX_CONF.format(root=root, port=port, servers=servers))
        process = subprocess.Popen(
            [binary, "-p", str(root), "-c", str(root / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(process, base + "/healthz", 30)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def drive(base: str, shop: Any, concurrency: int, seconds: float) -> tuple[Recorder, int, float]:
    recorder = Recorder()
    visits = 0

    async def shopper(n: int) -> None:
        nonlocal visits
        connection = Connection(base)
        seed = n * 1_000_003
        try:
            while time.monotonic() < stop:
                seed += 1
                await visit(connection, shop, seed, recorder)
                visits += 1
        finally:
            await connection.close()

    async def main() -> None:
        await asyncio.gather(*(shopper(n) for n in range(concurrency)))

    started = time.monotonic()
    stop = started + seconds
    run(main())
    return recorder, visits, time.monotonic() - started


@contextmanager
def databases(replica: bool) -> Iterator[tuple[str, str | None]]:
    """The primary's URL, and the replica's with --replica."""
    if not replica:
        with scratch_database("postgresql") as url:
            yield url, None
        return
    with private_cluster({"max_connections": "200"}) as primary:
        primary.psql("CREATE DATABASE souk")
        with streaming_replica(primary) as standby:
            yield primary.url("souk"), standby.url("souk")


def one_run(processes: int, args: argparse.Namespace) -> dict[str, Any]:
    with databases(args.replica) as (url, replica_url), ExitStack() as stack:
        # Each process is started after the one before is ready: the first migrates.
        env = {"SOUK_DB_POOL_SIZE": "8", "SOUK_WORKER_THREADS": "6"}
        if replica_url:
            env["SOUK_DATABASE_REPLICA_URL"] = replica_url
        servers = [stack.enter_context(serve(url, 1, env=env)) for _ in range(processes)]
        base = stack.enter_context(nginx([s.port for s in servers]))
        shop = set_up(base, args.products)
        pids = [s.pid for s in servers]
        load_before = procstats.load_average()
        cpu_before = procstats.cpu_seconds(pids)
        recorder, visits, seconds = drive(base, shop, args.concurrency, args.seconds)
        cpu = procstats.cpu_seconds(pids) - cpu_before
        orders = count_rows(url, "orders")
    samples = recorder.samples
    summary = summarise(samples, seconds)
    return {
        "benchmark": "scale_out",
        "backend": "postgresql" + (" + replica" if args.replica else ""),
        "processes": processes,
        "concurrency": args.concurrency,
        "seconds": round(seconds, 1),
        "visits_per_s": round(visits / seconds, 1),
        "requests_per_s": summary["all"]["per_s"],
        "p50_ms": summary["all"]["p50_ms"],
        "p99_ms": summary["all"]["p99_ms"],
        "errors": errors(samples),
        "orders_in_database": orders,
        "server_cpu_ms_per_request": round(cpu * 1000 / max(len(samples), 1), 2),
        "load_average_before": load_before,
        "load_average_after": procstats.load_average(),
        "kinds": {
            kind: {
                k: v for k, v in figures.items() if k in ("per_s", "p50_ms", "p99_ms", "statuses")
            }
            for kind, figures in summary["kinds"].items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--replica", action="store_true", help="private primary + replica")
    args = parser.parse_args()
    for processes in [int(p) for p in args.processes.split(",")]:
        print(json.dumps(one_run(processes, args)), flush=True)


if __name__ == "__main__":
    main()
