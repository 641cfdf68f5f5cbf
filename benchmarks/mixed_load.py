"""The mixed load of scale_out and soak: shoppers browsing the storefront catalog and
availability, filling carts, some checking out; tills selling, a few sales returned in the
store. One `visit` is one shopper's (or one till's) session; every request is recorded with
its kind, status and latency.

The mix per visit (fixed by the visit's random seed): 85 % online — 3 product pages, 1
catalog page, 1 availability read, a cart with 2 lines, and 1 in 4 of those carts checked out;
15 % a till — one POS sale, 1 in 5 of them returned, received and refunded in the store.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from benchmarks.checkout_support import ADDRESS, CHANNELS, Admin
from benchmarks.loadgen import Connection
from benchmarks.stats import percentile

PRICE = 3000
STORE = "store-1"
POS = "pos-1"


@dataclass
class Shop:
    skus: list[str]
    storefront_keys: dict[str, str]
    pos_key: str


def set_up(base: str, products: int = 50) -> Shop:
    """The shop of benchmarks/checkout_support.py plus a store with a till."""
    admin = Admin(base)
    skus = [f"SKU-{i:04d}" for i in range(products)]
    keys = admin.shop(dict.fromkeys(skus, 10_000_000), price=PRICE)
    admin(
        "POST",
        "/v1/locations",
        {
            "code": STORE,
            "name": "Store",
            "type": "store",
            "address": {"country": "JP"},
            "timezone": "Asia/Tokyo",
            "accepts_returns": True,
        },
        201,
    )
    admin(
        "POST",
        "/v1/channels",
        {
            "code": POS,
            "name": "Till",
            "type": "pos",
            "default_currency": "JPY",
            "currencies": ["JPY"],
            "default_locale": "ja",
            "locales": ["ja"],
            "country": "JP",
            "prices_include_tax": True,
            "ship_from": ["wh-1"],
        },
        201,
    )
    for sku in skus:
        admin("PUT", f"/v1/products/{sku.lower()}/listings/{POS}", {"published": True})
        admin(
            "POST",
            "/v1/inventory/movements",
            {"sku": sku, "location": STORE, "type": "receipt", "quantity": 10_000_000},
            201,
        )
    pos_key = admin(
        "POST",
        "/v1/api-keys",
        {"name": "till", "role": "pos", "channel": POS, "location": STORE},
        201,
    )["key"]
    admin.client.close()
    return Shop(skus=skus, storefront_keys=keys, pos_key=pos_key)


@dataclass(frozen=True, slots=True)
class Sample:
    kind: str
    status: int
    seconds: float
    at: float  # time.monotonic() when it ended


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)

    async def call(
        self,
        connection: Connection,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        try:
            reply = await connection.request(method, path, body, headers)
        except (ConnectionError, OSError):
            await connection.close()
            self.samples.append(Sample(kind, 0, 0.0, time.monotonic()))
            return None
        self.samples.append(Sample(kind, reply.status, reply.seconds, time.monotonic()))
        return reply


async def visit(connection: Connection, shop: Shop, seed: int, recorder: Recorder) -> None:
    rng = random.Random(seed)
    if rng.random() < 0.15:
        await _till(connection, shop, rng, seed, recorder)
    else:
        await _shopper(connection, shop, rng, seed, recorder)


async def _shopper(
    connection: Connection, shop: Shop, rng: random.Random, seed: int, rec: Recorder
) -> None:
    channel = CHANNELS[seed % len(CHANNELS)]
    key = {"X-Publishable-Key": shop.storefront_keys[channel]}
    for sku in rng.sample(shop.skus, 3):
        await rec.call(
            connection, "product", "GET", f"/v1/catalog/products/{sku.lower()}", None, key
        )
    await rec.call(connection, "catalog", "GET", "/v1/catalog/products?limit=20", None, key)
    sku = rng.choice(shop.skus)
    await rec.call(
        connection,
        "availability",
        "GET",
        f"/v1/availability?sku={sku}&channel={channel}",
        None,
        key,
    )
    body = {"email": f"s{seed}@example.jp", "shipping_address": ADDRESS}
    cart = await rec.call(connection, "cart", "POST", "/v1/carts", body, key)
    if cart is None or cart.status != 201:
        return
    cart_id = cart.json()["id"]
    for sku in rng.sample(shop.skus, 2):
        line = {"sku": sku, "quantity": 1}
        await rec.call(connection, "cart_line", "POST", f"/v1/carts/{cart_id}/lines", line, key)
    if rng.random() < 0.25:
        payment = {"payment": {"provider": "test", "token": "tok_ok"}}
        await rec.call(
            connection, "checkout", "POST", f"/v1/carts/{cart_id}/checkout", payment, key
        )


async def _till(
    connection: Connection, shop: Shop, rng: random.Random, seed: int, rec: Recorder
) -> None:
    key = {"Authorization": f"Bearer {shop.pos_key}"}
    sku = rng.choice(shop.skus)
    sale = {
        "client_txn_id": f"txn-{seed}-{rng.getrandbits(32)}",
        "occurred_at": datetime.now(UTC).isoformat(),
        "lines": [{"sku": sku, "quantity": 1}],
        "payments": [{"method": "card", "amount": PRICE}],
    }
    sold = await rec.call(connection, "pos_sale", "POST", "/v1/pos/sales", sale, key)
    if sold is None or sold.status != 201 or rng.random() >= 0.2:
        return
    order_id = sold.json()["id"]
    opened = await rec.call(
        connection,
        "return",
        "POST",
        f"/v1/orders/{order_id}/returns",
        {"lines": [{"sku": sku, "quantity": 1, "reason": "changed mind"}], "method": "in_store"},
        key,
    )
    if opened is None or opened.status != 201:
        return
    return_id = opened.json()["id"]
    receive = {
        "location": STORE,
        "lines": [{"sku": sku, "quantity": 1, "condition": "resellable"}],
    }
    await rec.call(connection, "return", "POST", f"/v1/returns/{return_id}/receive", receive, key)
    await rec.call(
        connection, "return", "POST", f"/v1/returns/{return_id}/refund", {"to": "original"}, key
    )


def summarise(samples: list[Sample], seconds: float) -> dict[str, Any]:
    """Requests per second, p50/p99 and statuses, overall and per kind of request."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)

    def figures(group: list[Sample]) -> dict[str, Any]:
        ms = [s.seconds * 1000 for s in group if s.status]
        statuses: dict[str, int] = defaultdict(int)
        for s in group:
            statuses[str(s.status)] += 1
        return {
            "requests": len(group),
            "per_s": round(len(group) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(ms, 50), 1) if ms else None,
            "p99_ms": round(percentile(ms, 99), 1) if ms else None,
            "statuses": dict(sorted(statuses.items())),
        }

    return {
        "all": figures(samples),
        "kinds": {kind: figures(group) for kind, group in sorted(by_kind.items())},
    }


def errors(samples: list[Sample]) -> int:
    """Answers that mean something is wrong: a server error or no answer at all."""
    return sum(1 for s in samples if s.status == 0 or s.status >= 500)
