"""Statement counts of webhooks' two hot paths, on both back ends: enqueueing a dispatcher
batch of events, and a delivery round. Counted through the engine (tests/support/
statements.py), not timed, so they hold on a loaded machine; each is a constant, whatever
the number of events, endpoints or deliveries in the batch.

- Enqueue: one INSERT … ON CONFLICT DO NOTHING (an executemany) for every event × endpoint
  of the batch, in one transaction; none for an event no endpoint wants.
- A round: one statement claims the batch (UPDATE … RETURNING), one records every outcome,
  one inserts every attempt: three, in two transactions — an object's deliveries to an
  endpoint going out one after another in the same round; and one more when some fail
  and what waited behind them in their chain is freed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from souk.db.outbox import Event, OutboxEvent
from souk.settings import Settings
from souk.webhooks.handlers import EnqueueDeliveries
from souk.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow
from souk.webhooks.worker import DeliveryWorker
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import Received, Reply, receiving
from tests.support.statements import counting

# Three events of one order, as many as an order placement raises; events no other
# consumer handles, so that the dispatcher runs webhooks' handler alone.
ORDER_EVENTS = (
    "fulfillment_order.packed",
    "fulfillment_order.collected",
    "fulfillment_order.cancelled",
)
ENDPOINTS = 5


def _events(hooks: Hooks, orders: range) -> list[Event]:
    for n in orders:
        for name in ORDER_EVENTS:
            hooks.emit(name, {"order_id": f"ord_{n}"})
    with hooks.db.transaction(write=False) as session:
        rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [Event(r.id, r.name, dict(r.payload), r.created_at) for r in rows]


def _count(hooks: Hooks, table: type[WebhookDeliveryRow] | type[WebhookAttemptRow]) -> int:
    with hooks.db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def worker(hooks: Hooks) -> Iterator[DeliveryWorker]:
    settings: Settings = hooks.admin.app.state.settings  # type: ignore[attr-defined]
    worker = DeliveryWorker(hooks.db, settings)
    yield worker
    worker.stop()


@pytest.mark.parametrize("orders", [1, 6])
def test_enqueueing_a_batch_costs_one_statement(hooks: Hooks, orders: int) -> None:
    with receiving() as receiver:
        for _ in range(ENDPOINTS):
            hooks.endpoint(receiver.url, ["*"])
        events = _events(hooks, range(orders))
        handler = EnqueueDeliveries(hooks.db)
        handler.directory.matching(ORDER_EVENTS[0])  # steady state: the endpoints are known
        # When the dispatcher hands over a batch of events every endpoint wants
        with counting(hooks.db.engine) as count:
            handler.handle_many(events)
        # Then one statement in one transaction enqueued every event × endpoint
        assert len(count) == 1, count.report()
        assert count.statements[0].startswith("INSERT INTO webhook_deliveries")
        assert count.transactions == 1
        assert _count(hooks, WebhookDeliveryRow) == orders * len(ORDER_EVENTS) * ENDPOINTS
        # and the batch handed over again (the outbox delivers at least once) inserts nothing
        with counting(hooks.db.engine) as again:
            handler.handle_many(events)
        assert len(again) == 1
        assert _count(hooks, WebhookDeliveryRow) == orders * len(ORDER_EVENTS) * ENDPOINTS


def test_an_event_no_endpoint_wants_costs_no_statement(hooks: Hooks) -> None:
    with receiving() as receiver:
        hooks.endpoint(receiver.url, ["order.cancelled"])
        events = _events(hooks, range(2))
        handler = EnqueueDeliveries(hooks.db)
        handler.directory.matching(ORDER_EVENTS[0])
        with counting(hooks.db.engine) as count:
            handler.handle_many(events)
    assert len(count) == 0 and count.transactions == 0
    assert _count(hooks, WebhookDeliveryRow) == 0


@pytest.mark.parametrize("orders", [1, 6])
def test_a_delivery_round_costs_three_statements(
    hooks: Hooks, worker: DeliveryWorker, orders: int
) -> None:
    with receiving() as receiver:
        for _ in range(ENDPOINTS):
            hooks.endpoint(receiver.url, ["*"])
        _events(hooks, range(orders))
        hooks.dispatch()
        expected = orders * len(ORDER_EVENTS) * ENDPOINTS
        # When the worker runs one round
        with counting(hooks.db.engine) as count:
            sent = worker.run_once()
        # Then every delivery went out in it — each order's three events to an endpoint as
        # one chain, one after another — for a claim, the outcomes and the attempt log:
        # three statements in two transactions
        assert sent == expected
        assert len(count) == 3, count.report()
        assert count.statements[0].startswith("WITH picked AS MATERIALIZED")
        assert count.statements[1].startswith("UPDATE webhook_deliveries")
        assert count.statements[2].startswith("INSERT INTO webhook_attempts")
        assert count.transactions == 2
        assert len(receiver.wait_for(expected)) == expected
    assert _count(hooks, WebhookAttemptRow) == expected


def test_rounds_with_failures_cost_at_most_four_statements(
    hooks: Hooks, worker: DeliveryWorker
) -> None:
    failed: set[str] = set()

    def script(n: int, got: Received) -> Reply:
        # The first attempt of every fourth request fails: its retry is scheduled by the
        # statement that records the successes, and what waits behind it in its chain is
        # freed by one more.
        msg_id = got.headers["webhook-id"]
        if n % 4 == 3 and msg_id not in failed:
            failed.add(msg_id)
            return Reply(status=500)
        return Reply()

    with receiving(script) as receiver:
        for _ in range(ENDPOINTS):
            hooks.endpoint(receiver.url, ["*"])
        _events(hooks, range(4))
        hooks.dispatch()
        expected = 4 * len(ORDER_EVENTS) * ENDPOINTS
        sent = 0
        while sent < expected + len(failed):
            with counting(hooks.db.engine) as count:
                more = worker.run_once()
            assert more > 0
            assert len(count) <= 4, count.report()
            assert count.transactions == 2
            sent += more
        assert failed
        assert len(receiver.wait_for(sent)) == expected + len(failed)
    assert _count(hooks, WebhookAttemptRow) == expected + len(failed)
    with hooks.db.transaction(write=False) as session:
        statuses = session.scalars(select(WebhookDeliveryRow.status)).all()
    assert set(statuses) == {"succeeded"} and len(statuses) == expected
