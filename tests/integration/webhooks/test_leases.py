"""Leases on both back ends: a claim outlasts every attempt of its batch, an attempt that
could outrun the lease is not started (and the delivery is freed at once), and a worker
whose lease was taken over does not overwrite its new owner's claim."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from souk.db.base import utcnow
from souk.webhooks.sender import attempt_budget_s
from souk.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow
from souk.webhooks.worker import DeliveryWorker
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import Reply, receiving, replies

READY = "fulfillment_order.ready"


def _worker(hooks: Hooks, **update_: object) -> DeliveryWorker:
    settings = hooks.admin.app.state.settings  # type: ignore[attr-defined]
    return DeliveryWorker(hooks.db, settings.model_copy(update=update_))


def _row(hooks: Hooks) -> WebhookDeliveryRow:
    with hooks.db.transaction(write=False) as session:
        return session.scalars(select(WebhookDeliveryRow)).one()


def test_the_lease_outlasts_every_attempt_of_a_batch(hooks: Hooks) -> None:
    # 100 deliveries over 8 threads: the last attempt may start after 12 others, each up to
    # its budget (connect, write and read each bounded by the 10 s timeout)
    worker = _worker(hooks, webhook_batch_size=100, webhook_concurrency=8, webhook_timeout_s=10)
    try:
        assert attempt_budget_s(10) == 35.0
        assert worker.lease >= timedelta(seconds=13 * 35)
    finally:
        worker.stop()


def test_an_attempt_that_could_outrun_the_lease_is_not_started(hooks: Hooks) -> None:
    with receiving() as receiver:
        hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        hooks.dispatch()
        worker = _worker(hooks)
        try:
            (job,) = worker._claim()
            assert _row(hooks).locked_until == job.lease_until
            # When the time left on the lease is shorter than one attempt's budget
            assert worker._send_leased(job, deadline=time.monotonic() + 1.0) is None
            worker._record([], [job])
            # Then nothing was sent, and the delivery is free for the next claim right away
            assert receiver.requests == []
            row = _row(hooks)
            assert row.locked_until is None and row.attempts == 0 and row.status == "pending"
            assert worker.run_once() == 1
            assert len(receiver.wait_for(1)) == 1
        finally:
            worker.stop()
    assert _row(hooks).status == "succeeded"


def test_a_worker_whose_lease_was_taken_over_leaves_the_new_claim_alone(hooks: Hooks) -> None:
    with receiving(replies(Reply(status=500))) as receiver:
        hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        hooks.dispatch()
        late, owner = _worker(hooks), _worker(hooks)
        try:
            (stale,) = late._claim()
            # Given the first worker's lease ran out and a second worker claimed the delivery
            with hooks.db.transaction() as session:
                session.execute(
                    update(WebhookDeliveryRow).values(locked_until=utcnow() - timedelta(seconds=1))
                )
            (fresh,) = owner._claim()
            # When the first worker's (failed) attempt is recorded late
            outcome = late._send_leased(stale, deadline=time.monotonic() + 3600)
            assert outcome is not None and outcome.status_code == 500
            late._record([(stale, outcome)], [])
        finally:
            late.stop()
            owner.stop()
    # Then the attempt is on record, but the second worker's claim and count are untouched
    row = _row(hooks)
    assert row.locked_until == fresh.lease_until
    assert row.attempts == 0 and row.status == "pending"
    with hooks.db.transaction(write=False) as session:
        (attempt,) = session.scalars(select(WebhookAttemptRow)).all()
    assert attempt.status_code == 500
