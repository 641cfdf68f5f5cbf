"""Batches racing on both back ends: the same new visitor and the same messageIds sent by
several writers at once end as one profile holding one copy of each message."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from souk.cdp import ingestion
from souk.cdp.tables import CdpEventRow, CdpIdentityRow, CdpProfileRow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork

pytestmark = pytest.mark.slow
WRITERS = 4


def test_racing_batches_make_one_profile_and_store_each_message_once(db: Database) -> None:
    barrier = threading.Barrier(WRITERS)

    def send(writer: int) -> ingestion.IngestResult:
        messages = [
            {"type": "track", "anonymousId": "racer", "event": "Product Viewed",
             "messageId": f"shared-{i}"}
            for i in range(5)
        ] + [{"type": "identify", "anonymousId": "racer", "userId": "u-race",
              "messageId": f"own-{writer}"}]  # fmt: skip
        barrier.wait()
        return ingestion.ingest(uow_factory=lambda: UnitOfWork(db), source="web", messages=messages)

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(send, range(WRITERS)))

    assert sum(r.accepted for r in results) == 5 + WRITERS
    assert sum(r.duplicates for r in results) == 5 * (WRITERS - 1)
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(CdpEventRow)) == 5 + WRITERS
        profiles = s.scalar(
            select(func.count())
            .select_from(CdpProfileRow)
            .where(CdpProfileRow.merged_into.is_(None))
        )
        assert profiles == 1
        owners = set(s.scalars(select(CdpIdentityRow.profile_id)))
        assert len(owners) == 1
        assert set(s.scalars(select(CdpEventRow.profile_id))) == owners
