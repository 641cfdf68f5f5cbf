"""`souk cdp-worker` (and `souk worker` with SOUK_CDP_INGEST_ASYNC=1): the process that
resolves the tracking calls API servers staged; it stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from souk.cdp import inbox
from souk.cdp.tables import CdpEventRow, CdpInboxRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from tests.support.server import SOUK

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("command", ["cdp-worker", "worker"])
def test_the_worker_resolves_staged_calls_and_stops_on_sigterm(
    db: Database, database_url: str, command: str
) -> None:
    batch = [{"type": "track", "anonymousId": "a-1", "event": "Product Viewed",
              "messageId": f"m-{n}"} for n in range(3)]  # fmt: skip
    inbox.stage(uow=UnitOfWork(db), source="web", body=json.dumps({"batch": batch}),
                received_at=utcnow())  # fmt: skip
    env = {**os.environ, "SOUK_DATABASE_URL": database_url, "SOUK_LOG_LEVEL": "WARNING",
           "SOUK_CDP_INGEST_ASYNC": "1"}  # fmt: skip
    worker = subprocess.Popen(
        [str(SOUK), command], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        left = 1
        while left and time.monotonic() < deadline:
            with db.transaction(write=False) as session:
                left = session.scalar(select(func.count()).select_from(CdpInboxRow)) or 0
            time.sleep(0.1)  # polling what the worker process writes
        assert left == 0 and worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()
    with db.transaction(write=False) as session:
        stored = sorted(session.scalars(select(CdpEventRow.message_id)))
    assert stored == ["m-0", "m-1", "m-2"]
    assert b"worker running" in out
