"""placement_cost: what routing an order as it is placed costs a single-SKU checkout.

    .venv/bin/python benchmarks/placement_cost.py [--orders 200] [--database-url URL]

In one process (the app behind a TestClient, the dispatcher driven by hand), on a scratch
SQLite file unless a URL is given: one warehouse, one SKU, `--orders` carts of one unit
each, checked out one after the other (ten first, untimed). For each checkout: the wall
time of the call, the process CPU of the call, and the CPU of the dispatcher run right
after it (which, before routing at placement, is where routing happened). Prints one JSON
line. To compare with the code before routing at placement, run the same script with
`PYTHONPATH=<a checkout of the older commit>/src` (`git archive af41d28 | tar -x -C DIR`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.checkout_factories import ADDRESS_JP, make_shop

from souk.app import create_app
from souk.settings import Settings

ADMIN = "placement-cost-admin-key-0123456789abcdef"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    n = args.orders
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/souk.sqlite3"
    settings = Settings(
        database_url=url,
        bootstrap_admin_key=ADMIN,
        secret_key="placement-cost-secret-key-0123456789abcdef",
        auto_migrate=True,
        dispatcher_enabled=False,
    )
    with TestClient(create_app(settings)) as admin:
        admin.headers["Authorization"] = f"Bearer {ADMIN}"
        state = admin.app.state  # type: ignore[attr-defined]
        shop = make_shop(admin, state.db)
        shop.location("wh-1")
        shop.channel(
            "web", type="web", default_currency="JPY", currencies=["JPY"], default_locale="ja",
            locales=["ja"], country="JP", ship_from=["wh-1"],
        )  # fmt: skip
        shop.product("drop", ("DROP-1",), channels=("web",), category=None)
        shop.price("DROP-1", "JPY", 25000)
        shop.receive("DROP-1", "wh-1", n + 20)
        shop.shipping_rate("jp", ["JP"], {"JPY": 0})
        carts = []
        for i in range(n + 10):
            cart = shop.cart("web", email=f"b{i}@example.jp", shipping_address=ADDRESS_JP)
            assert shop.add(cart["id"], "web", "DROP-1").status_code == 201
            carts.append(cart["id"])
        dispatcher = state.dispatcher
        for cart_id in carts[:10]:
            shop.checkout(cart_id, "web")
            while dispatcher.dispatch_pending():
                pass
        wall = call_cpu = after_cpu = 0.0
        routed = 0
        for cart_id in carts[10:]:
            t0, c0 = time.perf_counter(), time.process_time()
            placed = shop.checkout(cart_id, "web")
            t1, c1 = time.perf_counter(), time.process_time()
            while dispatcher.dispatch_pending():
                pass
            c2 = time.process_time()
            assert placed.status_code == 201, placed.text
            routed += bool(placed.json()["fulfillment_orders"])
            wall, call_cpu, after_cpu = wall + t1 - t0, call_cpu + c1 - c0, after_cpu + c2 - c1
    print(
        json.dumps(
            {
                "benchmark": "placement_cost",
                "backend": url.split(":")[0],
                "orders": n,
                "checkout_wall_ms": round(wall / n * 1000, 2),
                "checkout_cpu_ms": round(call_cpu / n * 1000, 2),
                "dispatcher_cpu_after_ms": round(after_cpu / n * 1000, 2),
                "total_cpu_ms": round((call_cpu + after_cpu) / n * 1000, 2),
                "answers_with_fulfilment_orders": routed,
            }
        )
    )


if __name__ == "__main__":
    main()
