"""The job runner every server (and `souk worker`) runs: a thread that claims the oldest
waiting job and runs it step by step, woken at once when a job is enqueued here and
otherwise looking every `poll_s` (a job enqueued by another server, or left by a crash)."""

from __future__ import annotations

import logging
import threading

from souk.db.engine import Database
from souk.errors import SoukError
from souk.jobs import service
from souk.jobs.kinds import HANDLERS, Handler
from souk.jobs.models import JobKind
from souk.jobs.steps import LeaseLost

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(
        self, db: Database, *, poll_s: float = 2.0,
        handlers: dict[JobKind, Handler] | None = None,
    ) -> None:  # fmt: skip
        self.db = db
        self.poll_s = poll_s
        self.handlers = handlers or HANDLERS
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self.poll_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="souk-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_pending(self) -> int:
        """Run every waiting job to its end; how many were run."""
        ran = 0
        while not self._stop.is_set():
            job = service.claim_next(self.db)
            if job is None:
                return ran
            self._run_one(job)
            ran += 1
        return ran

    def _run_one(self, job: service.Claimed) -> None:
        error = None
        try:
            self.handlers[job.kind](self.db, job)
        except LeaseLost:
            log.warning("job %s was taken over by another runner", job.id)
            return
        except SoukError as exc:
            error = exc.detail
        except Exception as exc:
            # A bug must not loop: the job fails with its class, the log has the trace.
            log.exception("job %s failed", job.id)
            error = f"internal error ({exc.__class__.__name__}); see the server's log"
        if not service.finish(self.db, job, error=error):
            log.warning("job %s finished after another runner took it over", job.id)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                # A database outage: /readyz reports it; the runner tries again later.
                log.warning("job runner failed; retrying", exc_info=True)
            self._wake.wait(timeout=self.poll_s)
            self._wake.clear()
