"""flow_cpu: CPU and SQL statements per step of the 3-line order flow, in-process.

    .venv/bin/python benchmarks/flow_cpu.py [--backend sqlite] [--flows 60] [--warm-up 10]
        [--driver asgi|testclient]

The app on a scratch database, the dispatcher driven by hand; each step's CPU
(`time.process_time`: this process's threads) and statements (counted on the engine) per
flow, after a warm-up. `--driver asgi` (the default) calls the ASGI app directly on an event
loop that lives as long as the run, as a server's does, so the figure is the server's own
CPU; `--driver testclient` sends
every request through Starlette's TestClient as the figures recorded before 2026-12-03 did,
whose client side (about 1.2 ms a request) is counted too. Each step is reported as the
mean and as the 25th percentile over the flows: on a shared machine the quartile of the
least disturbed flows moves far less than the mean. A fixed pure-Python reference loop is
timed before and after in the same process (the best of both), so a figure can be read in
reference loops when the machine's speed drifts.

`--against OTHER` compares with another source tree (a `git archive` of the recorded
commit, say) in the same run: `--repeats` pairs of runs, each in a fresh process, this
tree's and OTHER's alternating, and the median of the pairs' ratios per step — the
quickest same-run comparison of two builds; benchmarks/checkout.py measures a real server.

    git -C /work/main archive BASE | tar -x -C /tmp/base
    .venv/bin/python benchmarks/flow_cpu.py --against /tmp/base --repeats 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import event

from benchmarks.checkout_support import ADDRESS, Admin
from benchmarks.cpu import reference_loop_ms
from benchmarks.harness import ADMIN_KEY, scratch_database
from benchmarks.stats import emit, percentile
from souk.app import create_app
from souk.settings import Settings

SKUS = [f"SKU-{i:04d}" for i in range(20)]
STEPS = ("create cart", "add 3 lines", "address and delivery", "checkout", "routing (dispatcher)")
Send = Callable[[str, str, Any, dict[str, str]], tuple[int, bytes]]


class AsgiDriver:
    """Requests straight into the ASGI app: no client, no socket — what is timed is the
    app's own work.

    The loop runs one long-lived task on a thread of its own, as a server's loop runs its
    serve task. anyio keeps its worker threads for the life of that root task; when every
    request was its own `run_until_complete` (before 2026-12-06), each request was a root
    task and anyio started a fresh worker thread for it, a cost no server pays."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        started = threading.Event()

        async def serve() -> None:
            started.set()
            await self._stop.wait()

        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(serve(),))
        self._thread.start()
        started.wait()

    def __call__(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        work = self._call(method, path, body, headers)
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    async def _call(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        content = b"" if body is None else json.dumps(body).encode()
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": raw,
            "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "state": {},
        }  # fmt: skip
        sent = False
        out: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": content, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            out.append(message)

        await self.app(scope, receive, send)
        status = next(m["status"] for m in out if m["type"] == "http.response.start")
        return status, b"".join(m.get("body", b"") for m in out)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        self.loop.close()


def measure(backend: str, flows: int, warm_up: int, driver: str) -> dict[str, Any]:
    with scratch_database(backend) as url:
        settings = Settings(
            database_url=url,
            bootstrap_admin_key=ADMIN_KEY,
            secret_key=secrets.token_hex(32),
            dispatcher_enabled=False,
            # Every flow creates a cart from one address: the per-address limit on cart
            # creation stays in the path (its cost counts) but never refuses here.
            rate_limit_carts="1000000/60",
        )
        app = create_app(settings)
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
            keys = Admin("", client=client).shop(dict.fromkeys(SKUS, 10**6), price=3000)
            client.headers.pop("Authorization")
            key = {"X-Publishable-Key": keys["web"]}
            if driver == "asgi":
                send: Send = AsgiDriver(app)
            else:

                def send(method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
                    answer = client.request(method, path, json=body, headers=headers)
                    return answer.status_code, answer.content

            figures = _run(app, send, key, flows, warm_up)
            if isinstance(send, AsgiDriver):
                send.close()
    return figures


def _run(app: Any, send: Send, key: dict[str, str], flows: int, warm_up: int) -> dict[str, Any]:
    dispatcher = app.state.dispatcher
    current = ["-"]
    statements: dict[str, int] = {}

    def on_execute(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements[current[0]] = statements.get(current[0], 0) + 1

    spent: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        current[0] = name
        started = time.process_time()
        result = work()
        spent[name] = spent.get(name, 0.0) + time.process_time() - started
        return result

    def step(name: str, method: str, path: str, body: Any = None) -> Any:
        status, content = timed(name, lambda: send(method, path, body, key))
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {content[:300]!r}")
        return json.loads(content)

    def drain() -> None:
        # As the dispatcher's own loop: another batch only after a full one. (Reading again
        # until nothing is due, as this did before 2026-12-06, counted one empty read per
        # flow that a running dispatcher, woken once per commit, does not make.)
        while dispatcher.dispatch_pending() == dispatcher.batch_size:
            pass

    def flow(n: int) -> None:
        cart = step("create cart", "POST", "/v1/carts", {"email": f"s{n}@example.jp"})
        for i in range(3):
            line = {"sku": SKUS[(n + i) % len(SKUS)], "quantity": 1}
            step("add 3 lines", "POST", f"/v1/carts/{cart['id']}/lines", line)
        where = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
        step("address and delivery", "PATCH", f"/v1/carts/{cart['id']}", where)
        payment = {"payment": {"provider": "test", "token": "tok_ok"}}
        step("checkout", "POST", f"/v1/carts/{cart['id']}/checkout", payment)
        timed("routing (dispatcher)", drain)

    drain()
    for n in range(warm_up):
        flow(n)
    engine = app.state.db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    per_flow: dict[str, list[float]] = {name: [] for name in (*STEPS, "flow")}
    try:
        for n in range(flows):
            spent.clear()
            flow(warm_up + n)
            for name in STEPS:
                per_flow[name].append(spent[name] * 1000)
            per_flow["flow"].append(sum(spent.values()) * 1000)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return {
        "cpu_ms_per_flow_by_step": {k: round(sum(v) / flows, 2) for k, v in per_flow.items()},
        "cpu_ms_p25_by_step": {k: round(percentile(v, 25), 2) for k, v in per_flow.items()},
        "statements_per_flow_by_step": {
            name: round(statements.get(name, 0) / flows, 1) for name in STEPS
        },
        "statements_per_flow": round(sum(statements.values()) / flows, 1),
    }


def compare(args: argparse.Namespace) -> None:
    """Alternate runs of this tree and `args.against` in fresh processes; per step, the
    median over the pairs of this tree's figure ÷ the other's (mean and quartile)."""
    own = [sys.executable, __file__, "--backend", args.backend, "--flows", str(args.flows),
           "--warm-up", str(args.warm_up), "--driver", args.driver]  # fmt: skip
    other_env = {**os.environ, "PYTHONPATH": str(Path(args.against).resolve() / "src")}
    pairs = []
    for _ in range(args.repeats):
        runs = []
        for env in (os.environ, other_env):
            out = subprocess.run(own, env=env, check=True, capture_output=True, text=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        pairs.append(runs)
    ratios: dict[str, dict[str, float]] = {}
    for figure in ("cpu_ms_per_flow_by_step", "cpu_ms_p25_by_step"):
        ratios[figure] = {
            step: round(statistics.median(a[figure][step] / b[figure][step] for a, b in pairs), 3)
            for step in (*STEPS, "flow")
        }
    emit(
        {
            "benchmark": "flow_cpu",
            "backend": args.backend,
            "driver": args.driver,
            "flows": args.flows,
            "this": pairs[0][0]["source"],
            "against": pairs[0][1]["source"],
            "pairs": [_pair(a, b) for a, b in pairs],
            "statements_per_flow": [x["statements_per_flow"] for x in pairs[0]],
            "median_ratio_mean_by_step": ratios["cpu_ms_per_flow_by_step"],
            "median_ratio_p25_by_step": ratios["cpu_ms_p25_by_step"],
        }
    )


def _pair(this: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    return {
        "this": this["cpu_ms_p25_by_step"]["flow"],
        "against": other["cpu_ms_p25_by_step"]["flow"],
        "this_mean": this["cpu_ms_per_flow_by_step"]["flow"],
        "against_mean": other["cpu_ms_per_flow_by_step"]["flow"],
        "reference_loop_ms": [this["reference_loop_ms"], other["reference_loop_ms"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--flows", type=int, default=60)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--driver", choices=("asgi", "testclient"), default="asgi")
    parser.add_argument("--against", help="another source tree to compare with, same run")
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs with --against")
    args = parser.parse_args()
    if args.against:
        compare(args)
        return
    before = reference_loop_ms()
    figures = measure(args.backend, args.flows, args.warm_up, args.driver)
    reference = min(before, reference_loop_ms())
    flow_ms = figures["cpu_ms_per_flow_by_step"]["flow"]
    p25_ms = figures["cpu_ms_p25_by_step"]["flow"]
    emit(
        {
            "benchmark": "flow_cpu",
            "backend": args.backend,
            "driver": args.driver,
            "flows": args.flows,
            "source": str(Path(sys.modules["souk"].__file__ or "").parent),
            **figures,
            "reference_loop_ms": round(reference, 2),
            "flow_in_reference_loops": round(flow_ms / reference, 3),
            "flow_p25_in_reference_loops": round(p25_ms / reference, 3),
        }
    )


if __name__ == "__main__":
    main()
