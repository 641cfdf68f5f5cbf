"""flow_cpu: CPU per step of the 3-line order flow, in-process, without a network.

    .venv/bin/python benchmarks/flow_cpu.py [--backend sqlite] [--flows 40] [--warm-up 10]

The app behind a TestClient on a scratch database, the dispatcher driven by hand; each
step's CPU (`time.process_time`: this process's threads, the TestClient's own share
included, the same for every build) per flow, after a warm-up. Run it again with
`PYTHONPATH=OTHER/src:OTHER` from another source tree (a `git archive` of the recorded
commit) right after, and the two are compared on the same machine within a minute — the
quickest same-run comparison of two builds; benchmarks/checkout.py measures a real server.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from benchmarks.checkout_support import ADDRESS, Admin
from benchmarks.cpu import reference_loop_ms
from benchmarks.harness import ADMIN_KEY, scratch_database
from benchmarks.stats import emit
from souk.app import create_app
from souk.settings import Settings

SKUS = [f"SKU-{i:04d}" for i in range(20)]


def measure(backend: str, flows: int, warm_up: int) -> dict[str, float]:
    with scratch_database(backend) as url:
        settings = Settings(
            database_url=url,
            bootstrap_admin_key=ADMIN_KEY,
            secret_key=secrets.token_hex(32),
            dispatcher_enabled=False,
        )
        app = create_app(settings)
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
            keys = Admin("", client=client).shop(dict.fromkeys(SKUS, 10**6), price=3000)
            client.headers.pop("Authorization")
            key = {"X-Publishable-Key": keys["web"]}
            dispatcher = app.state.dispatcher
            spent: dict[str, float] = {}

            def timed(name: str, work: Any) -> Any:
                started = time.process_time()
                result = work()
                spent[name] = spent.get(name, 0.0) + time.process_time() - started
                return result

            def step(name: str, method: str, path: str, body: Any = None) -> Any:
                response = timed(name, lambda: client.request(method, path, json=body, headers=key))
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
                return response.json()

            def drain() -> None:
                while dispatcher.dispatch_pending():
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
            spent.clear()
            for n in range(flows):
                flow(warm_up + n)
    per_flow = {name: round(seconds * 1000 / flows, 2) for name, seconds in spent.items()}
    return {**per_flow, "flow": round(sum(per_flow.values()), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--warm-up", type=int, default=10)
    args = parser.parse_args()
    reference = reference_loop_ms()
    figures = measure(args.backend, args.flows, args.warm_up)
    emit(
        {
            "benchmark": "flow_cpu",
            "backend": args.backend,
            "source": str(Path(sys.modules["souk"].__file__ or "").parent),
            "cpu_ms_per_flow_by_step": figures,
            "reference_loop_ms": round(reference, 2),
            "flow_in_reference_loops": round(figures["flow"] / reference, 3),
        }
    )


if __name__ == "__main__":
    main()
