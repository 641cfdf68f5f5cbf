"""The event stream against real NATS JetStream, on both back ends: every committed event
reaches every consumer, across a broker killed in the middle of a burst and a relay killed
in the middle of publishing; consumers are idempotent, and the broker drops re-published
copies (message id = event id)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.db.outbox import EventBus, OutboxEvent
from souk.db.uow import UnitOfWork
from souk.settings import Settings
from souk.stream.runner import StreamDispatcher
from souk.webhooks import handlers as webhooks_handlers
from tests.integration.stream.conftest import (
    PrivateNats,
    Recorder,
    delete_stream,
    stream_messages,
    stream_settings,
)
from tests.integration.webhooks.conftest import Hooks
from tests.support.receivers import receiving
from tests.support.server import SOUK

pytestmark = pytest.mark.slow
READY = "fulfillment_order.ready"


def _emit(db: Database, n: int, start: int = 0) -> set[int]:
    ids = set()
    for i in range(start, start + n):
        with UnitOfWork(db) as uow:
            uow.emit(READY, {"order_id": f"ord_{i}", "status": "ready"})
            uow.commit()
    with db.transaction(write=False) as session:
        ids = set(session.scalars(select(OutboxEvent.id)))
    return ids


def _undispatched(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.dispatched_at.is_(None))
            )
            or 0
        )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture
def hooks(admin: TestClient, db: Database) -> Hooks:
    return Hooks(admin=admin, db=db)


@pytest.fixture
def stream(settings: Settings, shared_nats: str) -> Iterator[Settings]:
    configured = stream_settings(settings, shared_nats)
    yield configured
    delete_stream(configured)


def test_every_event_reaches_every_consumer_and_webhooks_once(
    stream: Settings, db: Database, hooks: Hooks
) -> None:
    with receiving() as receiver:
        endpoint = hooks.endpoint(receiver.url, [READY])
        # Given two consumers and the webhooks handler, on the stream
        one, two = Recorder(consumer_name="one"), Recorder(consumer_name="two")
        bus = EventBus()
        bus.subscribe(READY, one)
        bus.subscribe("*", two)
        webhooks_handlers.subscribe(bus, db)
        dispatcher = StreamDispatcher(db, bus, stream)
        dispatcher.start()
        try:
            # When a burst of events commits
            ids = _emit(db, 120)
            dispatcher.wake()
            # Then each consumer saw each event, and each became one webhook delivery
            one.wait_for(ids)
            two.wait_for(ids)
            while hooks.worker.run_once():
                pass
            requests = receiver.wait_for(120)
        finally:
            dispatcher.stop()
    assert one.seen == two.seen == ids
    assert len({r.headers["webhook-id"] for r in requests}) == 120
    assert len(hooks.deliveries(endpoint["id"], limit="200")) == 120
    assert _undispatched(db) == 0
    assert stream_messages(stream) == 120


def test_nats_killed_mid_burst_loses_nothing(
    settings: Settings, db: Database, private_nats: PrivateNats
) -> None:
    configured = stream_settings(settings, private_nats.url)
    recorder = Recorder()
    bus = EventBus()
    bus.subscribe("*", recorder)
    dispatcher = StreamDispatcher(db, bus, configured)
    dispatcher.start()
    try:
        # Given a burst under way
        first = _emit(db, 150)
        dispatcher.wake()
        recorder.wait_count(20)
        # When the broker dies in the middle of it, and orders keep coming
        private_nats.kill()
        everything = _emit(db, 150, start=150)
        assert _undispatched(db) > 0  # they wait in the outbox
        # and the broker comes back
        private_nats.start()
        dispatcher.wake()
        # Then every event reached the consumer; its effect is once per event
        recorder.wait_for(everything)
    finally:
        dispatcher.stop()
    assert first < everything and recorder.seen == everything
    assert len(everything) == 300
    assert stream_messages(configured) == 300
    assert _undispatched(db) == 0


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(SOUK), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def test_relay_killed_mid_publish_loses_nothing_and_publishes_each_event_once(
    settings: Settings, db: Database, database_url: str, private_nats: PrivateNats
) -> None:
    configured = stream_settings(settings, private_nats.url)
    ids = _emit(db, 1500)
    env = {
        **os.environ,
        "SOUK_DATABASE_URL": database_url,
        "SOUK_NATS_URL": private_nats.url,
        "SOUK_NATS_STREAM": configured.nats_stream,
        "SOUK_NATS_SUBJECT_PREFIX": configured.nats_subject_prefix,
        "SOUK_LOG_LEVEL": "WARNING",
        "SOUK_AUTO_MIGRATE": "0",
    }
    # Given a worker relaying the outbox, when it is killed in the middle of a batch it
    # published half of (a fault point: the process kills itself with SIGKILL there)
    worker = _worker({**env, "SOUK_FAULT_POINT": "relay_mid_batch"})
    try:
        assert worker.wait(timeout=120) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    # the broker holds half of the first batch (of 200), and none of it is marked relayed
    assert stream_messages(configured) == 100
    assert _undispatched(db) == 1500
    # and started again, with a consumer of our own on the stream
    recorder = Recorder()
    bus = EventBus()
    bus.subscribe("*", recorder)
    consumer = StreamDispatcher(db, bus, configured)
    consumer.relay_enabled = False
    consumer.start()
    worker = _worker(env)
    try:
        # Then every event arrives, and the stream holds each exactly once
        recorder.wait_for(ids, timeout_s=300)
    finally:
        consumer.stop()
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert recorder.seen == ids
    assert stream_messages(configured) == 1500
    assert _undispatched(db) == 0
