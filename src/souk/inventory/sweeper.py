"""The reservation sweeper that every server runs (SOUK_RESERVATION_SWEEP_INTERVAL_S).

Expired reservations never count, so availability is right without it; but the raw
`stock_levels.reserved` counters keep the units of a checkout that crashed (or a client that
walked away) until someone frees them, and operators, reports and the fast reservation path
read those counters. Sweeping is safe from several workers at once: each reservation is
marked expired by a conditional UPDATE, so only one sweeper frees its lines.
"""

from __future__ import annotations

import logging
import threading

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.inventory.reservation_service import sweep_expired

log = logging.getLogger(__name__)
BATCH = 500


class ReservationSweeper:
    def __init__(self, db: Database, *, interval_s: float) -> None:
        self.db = db
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.swept_total = 0

    def start(self) -> None:
        if self.interval_s <= 0:
            return
        self._thread = threading.Thread(target=self._run, name="souk-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def sweep_once(self) -> int:
        """Sweep every expired reservation, one batch per transaction."""
        total = 0
        while True:
            swept = sweep_expired(uow=UnitOfWork(self.db), limit=BATCH)
            total += swept
            if swept < BATCH:
                break
        self.swept_total += total
        return total

    def _run(self) -> None:
        # The first sweep waits one interval: a server starting is busy enough.
        while not self._stop.wait(self.interval_s):
            try:
                swept = self.sweep_once()
            except Exception:
                # A database outage is reported by /readyz and the requests; the sweeper
                # only tries again at the next interval.
                log.warning("reservation sweep failed; retrying", exc_info=True)
                continue
            if swept:
                log.info("swept %d expired reservations", swept)
