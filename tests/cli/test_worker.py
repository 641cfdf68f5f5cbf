"""`souk worker`: the outbox dispatcher and the sweeper without the HTTP API, for deployments
that run background work apart (docs/deployment.md); it stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import select

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.db.uow import UnitOfWork
from tests.support.server import SOUK

pytestmark = pytest.mark.slow


def test_the_worker_dispatches_committed_events_and_stops_on_sigterm(
    db: Database, database_url: str
) -> None:
    with UnitOfWork(db) as uow:
        uow.emit("ops.test", {"n": 1})
        uow.commit()
    env = {**os.environ, "SOUK_DATABASE_URL": database_url, "SOUK_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen(
        [str(SOUK), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        dispatched = None
        while dispatched is None and time.monotonic() < deadline:
            with db.transaction(write=False) as session:
                dispatched = session.scalar(select(OutboxEvent.dispatched_at))
            time.sleep(0.1)  # polling what the worker process writes
        assert dispatched is not None and dispatched <= utcnow()
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()
    assert b"worker running" in out
