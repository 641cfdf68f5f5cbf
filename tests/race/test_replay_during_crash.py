"""Replay during a crash: a real server killed with SIGKILL between a checkout's commit and
its answer; the buyer, whose connection dropped, retries against the restarted servers —
several retries at once, over two worker processes — and every one of them learns the order
that was placed, never 409, and exactly one order exists (invariant 9, both back ends)."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.db.engine import Database
from souk.orders.tables import OrderRow
from souk.payments.tables import PaymentRow
from tests.api.test_idempotency import CHECKOUT, ready_cart, stock
from tests.conftest import ADMIN_KEY
from tests.fulfilment_factories import french_shop
from tests.support.server import live_server

pytestmark = pytest.mark.slow

RETRIES = 8


def _orders(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(OrderRow.id)))


def _payments(db: Database) -> list[tuple[str, str | None]]:
    with db.transaction(write=False) as session:
        return [(p.status, p.order_id) for p in session.scalars(select(PaymentRow))]


@pytest.mark.parametrize("point", ["after_commit", "before_answer"])
def test_a_checkout_killed_between_commit_and_answer_is_learnt_by_its_retries(
    admin: TestClient, db: Database, database_url: str, point: str
) -> None:
    # Given a ready cart, and a server that dies at `point` of the first keyed command
    fr = french_shop(admin, db)
    cart_id = ready_cart(fr, quantity=2)
    path = f"/v1/carts/{cart_id}/checkout"
    headers = {"X-Publishable-Key": fr.shop.keys["web"], "Idempotency-Key": "buy-in-a-crash"}
    with live_server(database_url, ADMIN_KEY, env={"SOUK_FAULT_POINT": point}) as server:
        # When the buyer checks out, and the server is killed before answering
        with pytest.raises(httpx.TransportError):
            httpx.post(server.url + path, json=CHECKOUT, headers=headers, timeout=60)
        assert server.process.wait(timeout=60) == -signal.SIGKILL
    # (the order was committed; its answer was never sent, nor stored)
    placed = _orders(db)
    assert len(placed) == 1
    # and then retries against restarted servers, several times at once
    with live_server(database_url, ADMIN_KEY, workers=2) as server:
        barrier = threading.Barrier(RETRIES)

        def retry(_: int) -> httpx.Response:
            barrier.wait()
            return httpx.post(server.url + path, json=CHECKOUT, headers=headers, timeout=60)

        with ThreadPoolExecutor(RETRIES) as pool:
            answers = list(pool.map(retry, range(RETRIES)))
        order = httpx.get(
            f"{server.url}/v1/orders/{placed[0]}",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=30,
        )
    # Then every retry is told of the order that was placed — the same body each time
    assert [a.status_code for a in answers] == [201] * RETRIES, [a.text for a in answers]
    bodies: list[dict[str, Any]] = [a.json() for a in answers]
    assert {b["id"] for b in bodies} == {placed[0]}
    assert all(b == bodies[0] for b in bodies)
    assert all(a.headers["idempotent-replayed"] == "true" for a in answers)
    assert order.status_code == 200
    assert (bodies[0]["number"], bodies[0]["totals"]) == (
        order.json()["number"],
        order.json()["totals"],
    )
    # and nothing happened twice: one order, one payment, two units allocated
    assert _orders(db) == placed
    assert _payments(db) == [("authorized", placed[0])]
    allocated = sum(stock(fr, "TEE-M", loc)["allocated"] for loc in ("store-paris", "wh-marseille"))
    assert allocated == 2


def test_retries_sent_the_moment_an_answer_arrives_are_replayed_over_real_http(
    admin: TestClient, db: Database, database_url: str
) -> None:
    # Given real HTTP to two worker processes, where the answer reaches the client as soon as
    # it is written (in-process test clients wait for the whole request to end)
    fr = french_shop(admin, db)
    carts = [ready_cart(fr) for _ in range(10)]
    store = {"X-Publishable-Key": fr.shop.keys["web"]}
    hold = {"channel": "web", "lines": [{"sku": "CAP", "quantity": 1}], "expires_in_s": 600}
    with (
        live_server(database_url, ADMIN_KEY, workers=2) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        pairs = []
        for i, cart_id in enumerate(carts):
            # When each buyer retries the moment the first answer arrives
            headers = {**store, "Idempotency-Key": f"buy-{i}"}
            path = f"/v1/carts/{cart_id}/checkout"
            pairs.append(
                (
                    http.post(path, json=CHECKOUT, headers=headers),
                    http.post(path, json=CHECKOUT, headers=headers),
                )
            )
        admin_headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        for i in range(6):
            headers = {**admin_headers, "Idempotency-Key": f"hold-{i}"}
            pairs.append(
                (
                    http.post("/v1/inventory/reservations", json=hold, headers=headers),
                    http.post("/v1/inventory/reservations", json=hold, headers=headers),
                )
            )
    # Then every retry is the first answer, never 409, and each command took effect once
    for first, again in pairs:
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
    assert len(_orders(db)) == len(carts)
    assert (
        stock(fr, "CAP", "store-paris")["reserved"] + stock(fr, "CAP", "wh-marseille")["reserved"]
        == 6
    )
