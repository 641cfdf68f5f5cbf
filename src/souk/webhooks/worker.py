"""The delivery worker: claims due deliveries, sends them a batch at a time over a pool of
threads, records each attempt, and schedules the next per the Standard Webhooks schedule.

Per-object ordering: a delivery is not claimed while an earlier delivery of the same object
to the same endpoint is still pending (waiting, in flight or being retried), so the events
of one order reach an endpoint in the order they happened. A dead-lettered delivery no
longer holds the ones after it.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import certifi
import httpx
from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from souk.webhooks.endpoints import invalidate_directory, signing_secrets
from souk.webhooks.models import retry_delay
from souk.webhooks.sender import Job, Outcome, attempt_budget_s, send
from souk.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow

log = logging.getLogger(__name__)
GONE = 410
RECORD_TRIES = 5
LEASE_MARGIN_S = 30.0
# Endpoints whose connections one sending thread keeps alive.
CONNECTIONS_PER_THREAD = 8

# Every worker of this process, woken when the event handler enqueues.
_workers: weakref.WeakSet[DeliveryWorker] = weakref.WeakSet()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle takes 0.1–0.2 s, paid by every app
    built (each test builds one) if each worker's client loaded it again."""
    return ssl.create_default_context(cafile=certifi.where())


def _holds(row: WebhookDeliveryRow, job: Job) -> bool:
    return row.locked_until is not None and row.locked_until == job.lease_until


def _attempt(job: Job, outcome: Outcome, now: datetime) -> dict[str, object]:
    return {
        "delivery_seq": job.seq,
        "attempted_at": now,
        "status_code": outcome.status_code,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
    }


def ring() -> None:
    for worker in list(_workers):
        worker.wake()


class DeliveryWorker:
    def __init__(self, db: Database, settings: Settings, *, poll_s: float = 1.0) -> None:
        self.db = db
        self.settings = settings
        self.poll_s = poll_s
        self.schedule = list(settings.webhook_retry_schedule_s)
        self.allow_private = settings.webhook_allow_private
        # A claim is a lease on a whole batch, sent over `concurrency` threads: it must
        # outlast every attempt of the batch, the last of which may start only after
        # ceil(batch / concurrency) - 1 slower ones, so that no other worker takes over a
        # delivery while this one is still sending it. Each attempt also checks, before it
        # starts, that the lease left covers its whole budget (see `_send_leased`).
        self.attempt_budget_s = attempt_budget_s(settings.webhook_timeout_s)
        rounds = -(-settings.webhook_batch_size // settings.webhook_concurrency)
        self.lease = timedelta(seconds=self.attempt_budget_s * rounds + 2 * LEASE_MARGIN_S)
        # One HTTP client per sending thread, not one shared by all: httpcore's pool looks
        # at each of its connections for every connection on each request it assigns
        # (quadratic), which with the 32 connections of 16 threads cost ~580 checks and
        # most of the CPU per delivery. A thread sends one request at a time, so its own
        # client keeps a few endpoints' connections alive and never waits for one.
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._clients_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(settings.webhook_concurrency, "souk-webhook")
        self._rng = random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _workers.add(self)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="souk-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout_s + 10)
        self._pool.shutdown(wait=True)
        with self._clients_lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(
                timeout=self.settings.webhook_timeout_s,
                verify=_tls(),
                follow_redirects=False,  # a redirect could lead past the address check
                limits=httpx.Limits(
                    max_connections=CONNECTIONS_PER_THREAD,
                    max_keepalive_connections=CONNECTIONS_PER_THREAD,
                ),
            )
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.poll_s)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self.run_once() > 0:
                    pass
            except Exception:
                log.exception("webhook delivery round failed; retrying")

    def run_once(self) -> int:
        """Claim, send and record one batch; returns how many deliveries it sent."""
        jobs = self._claim()
        if not jobs:
            return 0
        # By when every attempt must have ended, on this process's monotonic clock: one
        # margin of the lease is slack for the batch, the other covers recording and a
        # clock that differs between the worker machines.
        deadline = time.monotonic() + self.lease.total_seconds() - LEASE_MARGIN_S
        outcomes = list(self._pool.map(lambda job: self._send_leased(job, deadline), jobs))
        sent = [(job, outcome) for job, outcome in zip(jobs, outcomes, strict=True) if outcome]
        unsent = [job for job, outcome in zip(jobs, outcomes, strict=True) if outcome is None]
        self._record(sent, unsent)
        return len(sent)

    def _send_leased(self, job: Job, deadline: float) -> Outcome | None:
        """Send, unless the lease could run out before the attempt's budget does: another
        worker may take the delivery then, and the two would send it twice."""
        if time.monotonic() + self.attempt_budget_s > deadline:
            return None
        return send(self._client(), job, allow_private=self.allow_private, now=utcnow())

    def _claim(self) -> list[Job]:
        now = utcnow()
        d, earlier = WebhookDeliveryRow, aliased(WebhookDeliveryRow)
        blocked = exists().where(
            earlier.endpoint_id == d.endpoint_id,
            earlier.object_key == d.object_key,
            earlier.status == "pending",
            earlier.seq < d.seq,
        )
        stmt = (
            select(d, WebhookEndpointRow)
            .join(WebhookEndpointRow, WebhookEndpointRow.id == d.endpoint_id)
            .where(
                d.status == "pending",
                d.next_attempt_at <= now,
                (d.locked_until.is_(None)) | (d.locked_until < now),
                WebhookEndpointRow.disabled_at.is_(None),
                ~blocked,
            )
            .order_by(d.seq)
            .limit(self.settings.webhook_batch_size)
        )
        if not self.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True, of=d)
        with self.db.transaction() as session:
            jobs = []
            lease_until = now + self.lease
            for row, endpoint in session.execute(stmt):
                row.locked_until = lease_until
                jobs.append(
                    Job(
                        seq=row.seq,
                        msg_id=row.id,
                        endpoint_id=endpoint.id,
                        url=endpoint.url,
                        secrets=signing_secrets(endpoint, now),
                        payload=dict(row.payload),
                        attempts=row.attempts,
                        lease_until=lease_until,
                    )
                )
        return jobs

    def _record(self, results: list[tuple[Job, Outcome]], unsent: list[Job]) -> None:
        # Sent is sent: an outcome lost to a busy database would have the lease run out and
        # the delivery sent again, so the write is retried a few times before giving up.
        if not results and not unsent:
            return
        for attempt in range(RECORD_TRIES):
            try:
                now = utcnow()
                with self.db.transaction() as session:
                    # One read of the batch's rows and one executemany of its attempts,
                    # rather than a read and an insert per delivery.
                    rows = {
                        r.seq: r
                        for r in session.scalars(
                            select(WebhookDeliveryRow).where(
                                WebhookDeliveryRow.seq.in_([job.seq for job, _ in results])
                            )
                        )
                    }
                    attempts = []
                    for job, outcome in results:
                        row = rows.get(job.seq)
                        if row is None:  # its endpoint was deleted meanwhile
                            continue
                        attempts.append(_attempt(job, outcome, now))
                        self._record_one(session, row, job, outcome, now)
                    if attempts:
                        session.execute(insert(WebhookAttemptRow), attempts)
                    for job in unsent:
                        # Not attempted: free it at once rather than when the lease ends.
                        session.execute(
                            update(WebhookDeliveryRow)
                            .where(
                                WebhookDeliveryRow.seq == job.seq,
                                WebhookDeliveryRow.locked_until == job.lease_until,
                            )
                            .values(locked_until=None)
                        )
                return
            except OperationalError:
                if attempt == RECORD_TRIES - 1:
                    raise
                log.warning("recording %d webhook attempts failed; retrying", len(results))
                time.sleep(0.2 * (attempt + 1))

    def _record_one(
        self, session: Session, row: WebhookDeliveryRow, job: Job, outcome: Outcome, now: datetime
    ) -> None:
        if not _holds(row, job):
            # The lease ran out and another worker owns the delivery now (this attempt ran
            # past its budget): the attempt is on record, the decision is the owner's —
            # except that a success is final whoever learns of it.
            if outcome.succeeded and row.status == "pending":
                row.status, row.delivered_at = "succeeded", now
            return
        row.attempts += 1
        row.locked_until = None
        row.last_status_code = outcome.status_code
        row.last_error = outcome.error
        if outcome.succeeded:
            row.status, row.delivered_at = "succeeded", now
            return
        if outcome.status_code == GONE:
            # The receiver says the endpoint is gone for good: stop sending to it at all.
            row.status = "failed"
            session.execute(
                update(WebhookEndpointRow)
                .where(WebhookEndpointRow.id == job.endpoint_id)
                .values(disabled_at=now, disabled_reason="the endpoint answered 410 Gone")
            )
            invalidate_directory()
            return
        delay = retry_delay(
            attempts=row.attempts,
            schedule=self.schedule,
            retry_after_s=outcome.retry_after_s,
            rng=self._rng,
        )
        if delay is None:
            row.status = "failed"
        else:
            row.next_attempt_at = now + delay
