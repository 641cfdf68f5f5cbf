"""Delivery on both back ends against real local receivers: retries keep the webhook-id,
the dead-letter list and replay, 410 disables, Retry-After and timeouts are honoured, one
object's events arrive in order, a redelivered event enqueues once, and two racing workers
send each delivery once."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from souk.db.base import utcnow
from souk.db.outbox import Event, OutboxEvent
from souk.webhooks.tables import WebhookDeliveryRow
from souk.webhooks.worker import DeliveryWorker
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import Received, Reply, receiving, replies

READY = "fulfillment_order.ready"


def test_a_failing_endpoint_is_dead_lettered_then_replayed_with_the_same_id(hooks: Hooks) -> None:
    # Given an endpoint that fails four times (the schedule allows three retries)
    with receiving(replies(*[Reply(status=500)] * 4)) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        # When the worker has tried everything the schedule allows
        assert hooks.deliver(rounds=5) == 4
        # Then the delivery is in the dead-letter list with every attempt and its code
        (dead,) = hooks.deliveries(endpoint["id"], status="failed")
        assert dead["attempts"] == 4
        assert [a["status_code"] for a in dead["attempt_log"]] == [500, 500, 500, 500]
        assert dead["last_status_code"] == 500 and dead["next_attempt_at"] is None
        assert hooks.deliveries(endpoint["id"], status="pending") == []
        # When it is replayed (the receiver now answers 200)
        replayed = hooks.admin.post(f"/v1/webhook-deliveries/{dead['id']}/replay")
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["status"] == "pending"
        assert hooks.deliver() == 1
        requests = receiver.wait_for(5)
    # Then it succeeded, with the same webhook-id on every attempt
    assert {r.headers["webhook-id"] for r in requests} == {dead["id"]}
    (done,) = hooks.deliveries(endpoint["id"])
    assert done["status"] == "succeeded" and done["attempts"] == 5
    assert done["attempt_log"][-1]["status_code"] == 200
    assert hooks.deliveries(endpoint["id"], status="failed") == []


def test_410_gone_disables_the_endpoint(hooks: Hooks) -> None:
    with receiving(replies(Reply(status=410))) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        assert hooks.deliver(rounds=3) == 1
        # Then the endpoint is disabled and later events are not sent to it
        shown = hooks.admin.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()
        assert shown["disabled"] is True
        assert "410" in shown["disabled_reason"]
        hooks.emit(READY, {"order_id": "ord_2"})
        assert hooks.deliver(rounds=2) == 0
        assert len(receiver.requests) == 1
        (gone,) = hooks.deliveries(endpoint["id"])
        assert gone["status"] == "failed" and gone["last_status_code"] == 410
        # and a replay is refused with a reason
        refused = hooks.admin.post(f"/v1/webhook-deliveries/{gone['id']}/replay")
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "disabled" in refused.json()["detail"]


def test_429_with_retry_after_waits_as_long_as_asked(hooks: Hooks) -> None:
    with receiving(replies(Reply(status=429, headers={"Retry-After": "120"}))) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        before = utcnow()
        assert hooks.deliver(rounds=3) == 1
        (waiting,) = hooks.deliveries(endpoint["id"])
        assert len(receiver.requests) == 1
    # The schedule says 0 s; the endpoint asked for 120 s and gets them
    assert waiting["status"] == "pending" and waiting["last_status_code"] == 429
    next_at = datetime.fromisoformat(waiting["next_attempt_at"])
    assert next_at >= before + timedelta(seconds=120)
    assert next_at <= utcnow() + timedelta(seconds=121)


def test_an_endpoint_slower_than_the_timeout_counts_as_a_failed_attempt(hooks: Hooks) -> None:
    # The receiver takes 3 s to answer, the timeout is 1 s
    with receiving(replies(Reply(delay_s=3.0))) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        assert hooks.deliver() == 1
        (slow,) = hooks.deliveries(endpoint["id"])
        assert slow["status"] == "pending" and slow["attempts"] == 1
        assert slow["last_error"] == "timed out" and slow["last_status_code"] is None
        assert slow["attempt_log"][0]["duration_ms"] < 2500
        # The next attempt is answered in time
        assert hooks.deliver() == 1
        assert hooks.deliveries(endpoint["id"])[0]["status"] == "succeeded"
        assert len(receiver.wait_for(2)) == 2


def test_one_objects_events_arrive_in_order_while_others_flow(hooks: Hooks) -> None:
    # Order A's first event fails once: A's later events must wait for it, B's need not
    failed: list[bytes] = []

    def script(n: int, got: Received) -> Reply:
        if b'"ord_A"' in got.body and not failed:
            failed.append(got.body)
            return Reply(status=503)
        return Reply()

    with receiving(script) as receiver:
        hooks.endpoint(receiver.url, ["*"])
        for status in ("ready", "collected", "cancelled"):
            hooks.emit(f"fulfillment_order.{status}", {"order_id": "ord_A", "status": status})
        hooks.emit(READY, {"order_id": "ord_B", "status": "ready"})
        hooks.deliver(rounds=6)
        seen = [json.loads(r.body)["data"] for r in receiver.wait_for(5)]
    a_events = [(d["order_id"], d["status"]) for d in seen if d["order_id"] == "ord_A"]
    assert a_events == [
        ("ord_A", "ready"),  # failed (503)
        ("ord_A", "ready"),  # retried, succeeded
        ("ord_A", "collected"),
        ("ord_A", "cancelled"),
    ]
    # B went out in the first round, beside A's first (failed) attempt
    assert ("ord_B", "ready") in [(d["order_id"], d["status"]) for d in seen[:2]]


def test_an_event_handled_twice_enqueues_one_delivery_per_endpoint(hooks: Hooks) -> None:
    with receiving() as one, receiving() as two:
        hooks.endpoint(one.url, [READY])
        hooks.endpoint(two.url, ["*"])
        hooks.endpoint(two.url, ["order.cancelled"])  # does not want it
        hooks.emit(READY, {"order_id": "ord_1"})
        hooks.dispatch()
        # The outbox delivers at least once: run every handler for the event again
        dispatcher = hooks.admin.app.state.dispatcher  # type: ignore[attr-defined]
        with hooks.db.transaction(write=False) as session:
            row = session.scalars(select(OutboxEvent)).one()
            event = Event(row.id, row.name, dict(row.payload), row.created_at)
        assert dispatcher._handle_all([event]) == {event.id: None}
        assert hooks.deliver(rounds=2) == 2
        assert len(one.wait_for(1)) == 1 and len(two.wait_for(1)) == 1
    with hooks.db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) == 2


def test_two_racing_workers_send_each_delivery_once(hooks: Hooks) -> None:
    with receiving() as receiver:
        hooks.endpoint(receiver.url, [READY])
        for n in range(60):
            hooks.emit(READY, {"order_id": f"ord_{n}"})
        hooks.dispatch()
        settings = hooks.admin.app.state.settings  # type: ignore[attr-defined]
        workers = [
            DeliveryWorker(hooks.db, settings.model_copy(update={"webhook_batch_size": 7}))
            for _ in range(2)
        ]
        start = threading.Barrier(2)
        sent = [0, 0]

        def run(i: int) -> None:
            start.wait()
            while (n := workers[i].run_once()) > 0:
                sent[i] += n

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        for w in workers:
            w.stop()
        requests = receiver.wait_for(60)
    ids = [r.headers["webhook-id"] for r in requests]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert sum(sent) == 60


def test_a_redirect_is_not_followed(hooks: Hooks) -> None:
    with receiving() as elsewhere:
        moved = Reply(status=302, headers={"Location": elsewhere.url})
        with receiving(replies(moved)) as receiver:
            endpoint = hooks.endpoint(receiver.url, [READY])
            hooks.emit(READY, {"order_id": "ord_1"})
            assert hooks.deliver() == 1
            (attempt,) = hooks.deliveries(endpoint["id"])
            # The redirect is a failed attempt, retried at the same URL, never followed
            assert attempt["status"] == "pending" and attempt["last_status_code"] == 302
            assert hooks.deliver() == 1
            assert len(receiver.wait_for(2)) == 2
        assert elsewhere.requests == []


def test_only_the_head_of_a_long_answer_is_read(hooks: Hooks) -> None:
    long = Reply(status=500, body=b"x" * 200_000)
    with receiving(replies(long, long)) as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        hooks.emit(READY, {"order_id": "ord_1"})
        hooks.emit(READY, {"order_id": "ord_2"})
        assert hooks.deliver() == 2
        failed = hooks.deliveries(endpoint["id"])
        assert {d["last_error"] for d in failed} == {"HTTP 500: " + "x" * 200}
        # The connections left with unread answers are not reused for the retries
        assert hooks.deliver() == 2
        assert len(receiver.wait_for(4)) == 4
        assert {d["status"] for d in hooks.deliveries(endpoint["id"])} == {"succeeded"}
