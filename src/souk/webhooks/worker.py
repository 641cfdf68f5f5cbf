"""The delivery worker: claims due deliveries, sends them a batch at a time over a pool of
threads, records each attempt, and schedules the next per the Standard Webhooks schedule.

Per-object ordering: a delivery is not sent while an earlier delivery of the same object
to the same endpoint is still pending (waiting, in flight or being retried), so the events
of one order reach an endpoint in the order they happened — except for an earlier one the
same thread has just sent and seen succeed: a claim takes an object's due deliveries to
an endpoint together (a *chain*), and one thread sends them one after another, stopping at
the first that fails. A dead-lettered delivery no longer holds the ones after it.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import certifi
import urllib3
from sqlalchemy.exc import OperationalError

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from souk.webhooks import delivery_queue
from souk.webhooks.endpoints import invalidate_directory
from souk.webhooks.sender import Job, Outcome, attempt_budget_s, connections, send

log = logging.getLogger(__name__)
RECORD_TRIES = 5
LEASE_MARGIN_S = 30.0

# Every worker of this process, woken when the event handler enqueues.
_workers: weakref.WeakSet[DeliveryWorker] = weakref.WeakSet()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle takes 0.1–0.2 s, paid by every app
    built (each test builds one) if each worker's client loaded it again."""
    return ssl.create_default_context(cafile=certifi.where())


def ring() -> None:
    for worker in list(_workers):
        worker.wake()


def chains(jobs: Sequence[Job]) -> list[list[Job]]:
    """The claim's deliveries per endpoint and object, each in sequence order."""
    grouped: dict[tuple[str, str], list[Job]] = {}
    for job in sorted(jobs, key=lambda j: j.seq):
        grouped.setdefault((job.endpoint_id, job.object_key), []).append(job)
    return list(grouped.values())


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
        # starts, that the lease left covers its whole budget (see `_send_leased`): a long
        # chain on one thread may need more rounds than that.
        self.attempt_budget_s = attempt_budget_s(settings.webhook_timeout_s)
        rounds = -(-settings.webhook_batch_size // settings.webhook_concurrency)
        self.lease = timedelta(seconds=self.attempt_budget_s * rounds + 2 * LEASE_MARGIN_S)
        self._claim_statement = delivery_queue.claim_statement(
            batch_size=settings.webhook_batch_size, skip_locked=not db.is_sqlite
        )
        self._recorder = delivery_queue.Recorder.build()
        # Connections per sending thread, not one pool shared by all: a shared pool's
        # bookkeeping looks at every connection for each request, and a thread sends one
        # request at a time, so its own connections are never busy.
        self._local = threading.local()
        self._pools: list[urllib3.PoolManager] = []
        self._pools_lock = threading.Lock()
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
        with self._pools_lock:
            for pools in self._pools:
                pools.clear()
            self._pools.clear()

    def _connections(self) -> urllib3.PoolManager:
        pools: urllib3.PoolManager | None = getattr(self._local, "pools", None)
        if pools is None:
            pools = connections(timeout_s=self.settings.webhook_timeout_s, tls=_tls())
            self._local.pools = pools
            with self._pools_lock:
                self._pools.append(pools)
        return pools

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=self.poll_s)
            self._wake.clear()
            try:
                # A claim short of a full batch took everything due: what is enqueued
                # meanwhile rings again, and retries come due by the next poll.
                while (
                    not self._stop.is_set() and self._round()[0] >= self.settings.webhook_batch_size
                ):
                    pass
            except Exception:
                log.exception("webhook delivery round failed; retrying")

    def run_once(self) -> int:
        """Claim, send and record one batch; returns how many deliveries it sent."""
        return self._round()[1]

    def _round(self) -> tuple[int, int]:
        jobs = self._claim()
        if not jobs:
            return 0, 0
        # By when every attempt must have ended, on this process's monotonic clock: one
        # margin of the lease is slack for the batch, the other covers recording and a
        # clock that differs between the worker machines.
        deadline = time.monotonic() + self.lease.total_seconds() - LEASE_MARGIN_S
        sent: list[tuple[Job, Outcome]] = []
        unsent: list[Job] = []
        for chain_sent, chain_unsent in self._pool.map(
            lambda chain: self._send_chain(chain, deadline), chains(jobs)
        ):
            sent.extend(chain_sent)
            unsent.extend(chain_unsent)
        self._record(sent, unsent)
        return len(jobs), len(sent)

    def _send_chain(
        self, chain: list[Job], deadline: float
    ) -> tuple[list[tuple[Job, Outcome]], list[Job]]:
        """One object's deliveries to one endpoint, in order, each only once the one before
        succeeded. A delivery with an earlier pending one outside this claim (another worker
        holds it) is not sent, nor anything after it."""
        sent: list[tuple[Job, Outcome]] = []
        for position, job in enumerate(chain):
            outcome = self._send_leased(job, deadline) if job.earlier == position else None
            if outcome is None:
                return sent, chain[position:]
            sent.append((job, outcome))
            if not outcome.succeeded:
                return sent, chain[position + 1 :]
        return sent, []

    def _send_leased(self, job: Job, deadline: float) -> Outcome | None:
        """Send, unless the lease could run out before the attempt's budget does: another
        worker may take the delivery then, and the two would send it twice."""
        if time.monotonic() + self.attempt_budget_s > deadline:
            return None
        return send(self._connections(), job, allow_private=self.allow_private, now=utcnow())

    def _claim(self) -> list[Job]:
        now = utcnow()
        with self.db.transaction() as session:
            return delivery_queue.claim(
                session.connection(), self._claim_statement, now=now, lease_until=now + self.lease
            )

    def _record(self, results: list[tuple[Job, Outcome]], unsent: list[Job]) -> None:
        # Sent is sent: an outcome lost to a busy database would have the lease run out and
        # the delivery sent again, so the write is retried a few times before giving up.
        if not results and not unsent:
            return
        for attempt in range(RECORD_TRIES):
            try:
                now = utcnow()
                with self.db.transaction() as session:
                    conn = session.connection()
                    gone = self._recorder.record(
                        conn, results, unsent, now=now, schedule=self.schedule, rng=self._rng
                    )
                    if gone:
                        delivery_queue.disable(conn, gone, now=now)
                if gone:
                    invalidate_directory()
                return
            except OperationalError:
                if attempt == RECORD_TRIES - 1:
                    raise
                log.warning("recording %d webhook attempts failed; retrying", len(results))
                time.sleep(0.2 * (attempt + 1))
