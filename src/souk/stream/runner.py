"""Relay and consumers on JetStream, run on an asyncio loop of their own in a thread.

The relay publishes undispatched outbox rows in id order, each with its id as Nats-Msg-Id,
and marks a row dispatched only after JetStream acknowledged it: a relay killed between the
two re-publishes on restart and the broker drops the copy (within the duplicate window).
Each (event, handler) subscription reads a durable pull consumer and acknowledges a message
only after its handler returned, i.e. after its unit of work committed; a failing handler
gets the message again after a back-off. Handlers are idempotent, so a redelivery after a
crash or an outage has its effect once. While NATS is down rows wait in the outbox and
consumers wait for the reconnection; nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError
from sqlalchemy import select, update

from souk import fault_points
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import (
    BatchHandler,
    Dispatcher,
    Event,
    EventBus,
    Handler,
    OutboxEvent,
    backoff,
)
from souk.settings import Settings
from souk.stream import messages

log = logging.getLogger(__name__)
FETCH = 64
PUBLISH_TIMEOUT_S = 5.0
RETRY_S = 0.5  # how long a loop waits after NATS or the database failed, before trying again
ACK_WAIT_S = 60.0


class StreamDispatcher:
    """Same face as `souk.db.outbox.Dispatcher` (start, stop, wake), backed by JetStream."""

    def __init__(self, db: Database, bus: EventBus, settings: Settings) -> None:
        if not settings.nats_url:
            raise ValueError("the event stream needs SOUK_NATS_URL")
        self.db = db
        self.bus = bus
        self.url = settings.nats_url
        self.stream = settings.nats_stream
        self.prefix = settings.nats_subject_prefix
        self.duplicate_window_s = settings.nats_duplicate_window_s
        self.batch_size = 200
        self.relay_enabled = True
        self.fault_point = settings.fault_point
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # -- the thread's face -------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="souk-stream", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)

    def wake(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _main(self) -> None:
        asyncio.run(self._serve())

    # -- on the loop -------------------------------------------------------------------

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake, self._stopping = asyncio.Event(), asyncio.Event()
        self._ready.set()
        nc = await self._connect()
        if nc is None:
            return
        js = nc.jetstream()
        tasks = [asyncio.create_task(self._relay(js))] if self.relay_enabled else []
        for name, handler in self.bus.subscriptions():
            tasks.append(asyncio.create_task(self._consume(js, name, handler)))
        await self._stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(NatsError):
            await nc.close()

    async def _connect(self) -> NatsClient | None:
        assert self._stopping is not None
        while not self._stopping.is_set():
            try:
                return await nats.connect(
                    self.url,
                    name="souk",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                )
            except (NatsError, OSError) as exc:
                log.warning("NATS at %s unreachable (%s); retrying", self.url, exc)
                await self._pause(RETRY_S)
        return None

    async def _pause(self, seconds: float) -> None:
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _retrying(self, what: str, step: Callable[[], Awaitable[Any]]) -> None:
        """Run `step` forever; a failure (NATS away, database busy) is logged and retried."""
        assert self._stopping is not None
        while not self._stopping.is_set():
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s failed (%s: %s); retrying", what, exc.__class__.__name__, exc)
                await self._pause(RETRY_S)

    async def ensure_stream(self, js: JetStreamContext) -> None:
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}.>"],
            storage=StorageType.FILE,
            duplicate_window=float(self.duplicate_window_s),
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)

    # -- the relay ---------------------------------------------------------------------

    async def _relay(self, js: JetStreamContext) -> None:
        state = {"stream": False}

        async def step() -> None:
            assert self._wake is not None
            if not state["stream"]:
                await self.ensure_stream(js)
                state["stream"] = True
            # Cleared before reading: a commit that wakes us meanwhile is not missed.
            self._wake.clear()
            published = await self.relay_once(js)
            if published < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)

        await self._retrying("outbox relay", step)

    async def relay_once(self, js: JetStreamContext) -> int:
        events = await asyncio.to_thread(self._pending)
        done: list[int] = []
        try:
            for event in events:
                await js.publish(
                    messages.subject(self.prefix, event.name),
                    messages.encode(event),
                    timeout=PUBLISH_TIMEOUT_S,
                    stream=self.stream,
                    headers={messages.MSG_ID: str(event.id)},
                )
                done.append(event.id)
                if len(done) == len(events) // 2:
                    fault_points.crash_at("relay_mid_batch", self.fault_point)
        finally:
            # What the broker acknowledged is marked even when a later publish failed.
            if done:
                await asyncio.to_thread(self._mark, done)
        return len(events)

    def _pending(self) -> list[Event]:
        with self.db.transaction(write=False) as session:
            rows = session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.dispatched_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(self.batch_size)
            )
            return [Event(r.id, r.name, dict(r.payload), r.created_at) for r in rows]

    def _mark(self, ids: list[int]) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(ids), OutboxEvent.dispatched_at.is_(None))
                .values(dispatched_at=utcnow())
            )

    # -- the consumers -----------------------------------------------------------------

    async def _consume(self, js: JetStreamContext, subscribed: str, handler: Handler) -> None:
        durable = messages.durable_name(subscribed, handler)
        subject = messages.filter_subject(self.prefix, subscribed)
        state: dict[str, Any] = {"sub": None}

        async def step() -> None:
            if state["sub"] is None:
                await self.ensure_stream(js)
                state["sub"] = await js.pull_subscribe(
                    subject,
                    durable=durable,
                    stream=self.stream,
                    config=ConsumerConfig(ack_wait=ACK_WAIT_S, max_deliver=-1),
                )
            try:
                batch = await state["sub"].fetch(FETCH, timeout=1.0)
            except NatsTimeout:
                return
            if isinstance(handler, BatchHandler):
                await self._handle_batch(durable, handler, batch)
                return
            for msg in batch:
                event = messages.decode(msg.data)
                try:
                    await asyncio.to_thread(handler, event)
                except Exception:
                    log.exception("%s failed for event %s (%s)", durable, event.id, event.name)
                    await _nak(msg)
                    continue
                await msg.ack()

        await self._retrying(f"consumer {durable}", step)

    @staticmethod
    async def _handle_batch(durable: str, handler: BatchHandler, batch: list[Msg]) -> None:
        """The fetched batch in one call (one transaction); acknowledged together after it
        committed, or all offered again after a back-off."""
        events = [messages.decode(msg.data) for msg in batch]
        try:
            await asyncio.to_thread(handler.handle_many, events)
        except Exception:
            log.exception("%s failed for events %s…%s", durable, events[0].id, events[-1].id)
            for msg in batch:
                await _nak(msg)
            return
        for msg in batch:
            await msg.ack()


async def _nak(msg: Msg) -> None:
    attempts = msg.metadata.num_delivered if msg.metadata else 1
    await msg.nak(delay=backoff(attempts).total_seconds())


def make_dispatcher(
    db: Database, bus: EventBus, settings: Settings
) -> Dispatcher | StreamDispatcher:
    """The event stream when SOUK_NATS_URL is set, else the in-process dispatcher: the same
    handlers do the same work either way."""
    if settings.nats_url:
        return StreamDispatcher(db, bus, settings)
    return Dispatcher(db, bus)
