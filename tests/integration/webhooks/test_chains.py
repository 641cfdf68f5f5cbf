"""Chains, on both back ends: a claim takes an object's due deliveries to an endpoint
together and one thread sends them in order, each only after the one before succeeded —
so two workers racing over many objects, with failures in between, still deliver every
event once and never an object's event before all its earlier ones were taken."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import select

from souk.webhooks.tables import WebhookDeliveryRow
from souk.webhooks.worker import DeliveryWorker
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import Received, Reply, receiving

STEPS = ("fulfillment_order.packed", "fulfillment_order.collected", "fulfillment_order.cancelled")


def test_racing_workers_keep_each_objects_order_through_failures(hooks: Hooks) -> None:
    lock = threading.Lock()
    taken: set[tuple[str, int]] = set()  # (object, step) answered 2xx
    early: list[tuple[str, int]] = []  # arrived before an earlier step of its object was taken
    failed: set[str] = set()
    successes: list[str] = []

    def script(n: int, got: Received) -> Reply:
        data = _data(got)
        key = (data["order_id"], int(data["step"]))
        msg_id = got.headers["webhook-id"]
        with lock:
            if any((key[0], step) not in taken for step in range(key[1])):
                early.append(key)
            # The first attempt of every fifth request fails: the rest of its chain waits
            if n % 5 == 4 and msg_id not in failed:
                failed.add(msg_id)
                return Reply(status=503)
            taken.add(key)
            successes.append(msg_id)
        return Reply()

    with receiving(script) as receiver:
        hooks.endpoint(receiver.url, ["*"])
        # Given 12 orders with three events each, one order's events after the other's, so
        # that a batch of 5 cuts chains in two and the workers' claims interleave
        objects = [f"ord_{n:02d}" for n in range(12)]
        for order_id in objects:
            for step, name in enumerate(STEPS):
                hooks.emit(name, {"order_id": order_id, "step": step})
        hooks.dispatch()
        settings = hooks.admin.app.state.settings  # type: ignore[attr-defined]
        small = settings.model_copy(update={"webhook_batch_size": 5, "webhook_concurrency": 2})
        workers = [DeliveryWorker(hooks.db, small) for _ in range(2)]
        start = threading.Barrier(2)

        def run(worker: DeliveryWorker) -> None:
            start.wait()
            while worker.run_once() > 0:
                pass

        # When two workers race over them
        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        # (a round that could send nothing ends a worker's loop; one drains what is left)
        while workers[0].run_once() > 0:
            pass
        for w in workers:
            w.stop()
        receiver.wait_for(len(objects) * len(STEPS) + len(failed))
    # Then every event was taken once, and none arrived before its object's earlier ones
    assert failed
    assert early == []
    assert len(successes) == len(set(successes)) == len(objects) * len(STEPS)
    assert taken == {(o, s) for o in objects for s in range(len(STEPS))}


def test_a_delivery_is_not_sent_while_another_worker_claims_an_earlier_one(
    hooks: Hooks, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite has one writer: no claim is ever in flight beside another")
    with receiving() as receiver:
        hooks.endpoint(receiver.url, ["*"])
        for step, name in enumerate(STEPS[:2]):
            hooks.emit(name, {"order_id": "ord_1", "step": step})
        hooks.dispatch()
        settings = hooks.admin.app.state.settings  # type: ignore[attr-defined]
        worker = DeliveryWorker(hooks.db, settings)
        try:
            with hooks.db.engine.connect() as other:
                # Given another worker's claim, still in flight, has locked the first one
                other.execute(
                    select(WebhookDeliveryRow.seq)
                    .order_by(WebhookDeliveryRow.seq)
                    .limit(1)
                    .with_for_update()
                )
                # When this worker claims: it skips the locked row and finds the second due
                # Then it does not send the second before the first
                assert worker.run_once() == 0
                assert receiver.requests == []
                other.rollback()
            # and once the other claim is gone, both go out, in order
            assert worker.run_once() == 2
            steps = [_data(r)["step"] for r in receiver.wait_for(2)]
        finally:
            worker.stop()
    assert steps == [0, 1]


def _data(got: Received) -> dict[str, Any]:
    body: dict[str, dict[str, Any]] = json.loads(got.body)
    return body["data"]
