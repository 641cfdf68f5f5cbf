"""memory_growth: where a server process's memory grows under the soak's mixed load.

    .venv/bin/python benchmarks/memory_growth.py [--warm 400] [--visits 1200] [--top 12]

The app runs under uvicorn in this process on a scratch PostgreSQL database, so that
tracemalloc sees its allocations. `--warm` visits of benchmarks/mixed_load.py fill the
caches and pools; then a snapshot, `--visits` more visits, a second snapshot, and the
allocations that grew most between them, with their tracebacks, and the object types that
grew most. The load generator runs in the same process: its own samples (benchmarks/
mixed_load.py, loadgen.py) show in the list and are not the server's. What `soak.py` shows
as slow RSS growth, this says the cause of.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import socket
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import ADMIN_KEY, scratch_database
from benchmarks.loadgen import Connection
from benchmarks.mixed_load import Recorder, Shop, set_up, visit
from souk.app import create_app
from souk.settings import Settings

CLIENTS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def object_types() -> collections.Counter[str]:
    return collections.Counter(type(o).__name__ for o in gc.get_objects())


async def visits(base: str, shop: Shop, first: int, count: int, recorder: Recorder) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for seed in range(first, first + count):
        queue.put_nowait(seed)

    async def client() -> None:
        connection = Connection(base)
        try:
            while not queue.empty():
                await visit(connection, shop, queue.get_nowait(), recorder)
        finally:
            await connection.close()

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm", type=int, default=400)
    parser.add_argument("--visits", type=int, default=1200)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with scratch_database("postgresql") as url:
        settings = Settings(
            database_url=url, bootstrap_admin_key=ADMIN_KEY, secret_key="m" * 40,
            auto_migrate=True, rate_limit_enabled=False, reservation_sweep_interval_s=10,
        )  # fmt: skip
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), port=free_port(), log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.1)
        base = f"http://127.0.0.1:{server.config.port}"
        shop = set_up(base)
        recorder = Recorder()
        asyncio.run(visits(base, shop, 0, args.warm, recorder))
        gc.collect()
        tracemalloc.start(8)
        types_before, before = object_types(), tracemalloc.take_snapshot()
        started = time.monotonic()
        asyncio.run(visits(base, shop, args.warm, args.visits, recorder))
        gc.collect()
        after, types_after = tracemalloc.take_snapshot(), object_types()
        print(f"{args.visits} visits in {time.monotonic() - started:.0f} s")
        for stat in after.compare_to(before, "traceback")[: args.top]:
            print(f"+{stat.size_diff / 1024:.0f} KiB in {stat.count_diff:+d} blocks")
            for line in stat.traceback.format():
                print("   ", line)
        grown = {k: n - types_before.get(k, 0) for k, n in types_after.items()}
        print("object types grown:", sorted(grown.items(), key=lambda kv: -kv[1])[: args.top])
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
