"""SQL statements per 3-line order flow, counted in-process: the app on a scratch database
behind a TestClient, a `before_cursor_execute` hook on its engine (the same counter as
tests/api/test_statement_budgets.py), the dispatcher driven by hand so that routing is
counted too. A count, not a timing: it is the same on a quiet and a loaded machine."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.testclient import TestClient
from tests.support.statements import Count, counting

from benchmarks.checkout_support import ADDRESS, Admin
from benchmarks.harness import ADMIN_KEY, scratch_database
from souk.app import create_app
from souk.settings import Settings

SKUS = ("SKU-0001", "SKU-0002", "SKU-0003")


def statements_per_flow(backend: str) -> dict[str, Any]:
    """{step: [statements, transactions]} of one flow after a warm-up flow, and the total."""
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
            keys = Admin("", client=client).shop(dict.fromkeys(SKUS, 1_000_000), price=3000)
            client.headers.pop("Authorization")
            engine = app.state.db.engine
            dispatcher = app.state.dispatcher
            key = {"X-Publishable-Key": keys["web"]}

            def step(method: str, path: str, body: Any = None) -> Any:
                response = client.request(method, path, json=body, headers=key)
                if response.status_code >= 300:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
                return response.json()

            def flow(n: int) -> dict[str, Count]:
                counts: dict[str, Count] = {}
                with counting(engine) as counts["create cart"]:
                    cart = step("POST", "/v1/carts", {"email": f"s{n}@example.jp"})
                for i, sku in enumerate(SKUS):
                    with counting(engine) as counts[f"add line {i + 1}"]:
                        step("POST", f"/v1/carts/{cart['id']}/lines", {"sku": sku, "quantity": 1})
                with counting(engine) as counts["address and delivery"]:
                    body = {"shipping_address": ADDRESS, "fulfillment": {"type": "delivery"}}
                    step("PATCH", f"/v1/carts/{cart['id']}", body)
                with counting(engine) as counts["checkout"]:
                    payment = {"payment": {"provider": "test", "token": "tok_ok"}}
                    step("POST", f"/v1/carts/{cart['id']}/checkout", payment)
                with counting(engine) as counts["routing (dispatcher)"]:
                    while dispatcher.dispatch_pending():
                        pass
                return counts

            while dispatcher.dispatch_pending():  # the set-up's events
                pass
            flow(0)
            counts = flow(1)
    return {
        "steps": {name: [len(c), c.transactions] for name, c in counts.items()},
        "statements_per_flow": sum(len(c) for c in counts.values()),
        "transactions_per_flow": sum(c.transactions for c in counts.values()),
    }
