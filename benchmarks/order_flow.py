"""The storefront order flow as a side load for other benchmarks: shoppers on keep-alive
connections each create a cart, add a line, set address and delivery and check out, until
a number of orders are placed or a stop flag is set. Returns orders per second."""

from __future__ import annotations

import threading
import time
from typing import Any

from benchmarks.checkout_support import ADDRESS, CHANNELS
from benchmarks.loadgen import Connection, run, run_pool

PAYMENT = {"payment": {"provider": "test", "token": "tok_ok"}}


def order_flow(
    base: str,
    keys: dict[str, str],
    skus: list[str],
    *,
    clients: int,
    orders: int,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Place up to `orders` orders (fewer if `stop` is set first); orders/s and statuses."""
    statuses: dict[int, int] = {}

    async def shopper(connection: Connection, i: int) -> None:
        key = {"X-Publishable-Key": keys[CHANNELS[i % len(CHANNELS)]]}
        for n in range(i, orders, clients):
            if stop is not None and stop.is_set():
                return
            cart = await connection.request("POST", "/v1/carts", {"email": f"o{n}@ex.jp"}, key)
            cart_id = cart.json()["id"]
            line = {"sku": skus[n % len(skus)], "quantity": 1}
            await connection.request("POST", f"/v1/carts/{cart_id}/lines", line, key)
            where = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
            await connection.request("PATCH", f"/v1/carts/{cart_id}", where, key)
            reply = await connection.request("POST", f"/v1/carts/{cart_id}/checkout", PAYMENT, key)
            statuses[reply.status] = statuses.get(reply.status, 0) + 1

    started = time.perf_counter()
    run(run_pool(range(clients), shopper, base_url=base, concurrency=clients))
    seconds = time.perf_counter() - started
    placed = statuses.get(201, 0)
    return {"orders": placed, "seconds": seconds, "orders_per_s": placed / seconds,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}  # fmt: skip
