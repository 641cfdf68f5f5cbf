"""A till sale that PostgreSQL picks as a deadlock's victim is rerun, not refused.

PostgreSQL breaks a deadlock by rolling back one of the transactions in it and asks the
application to retry that one (SQLSTATE 40P01). A till sale locks the member's points
account, then the store's stock row; here another transaction holds the stock row and then
asks for the account, so the two wait on each other for real. The sale, whose shorter
deadlock timeout makes it the one PostgreSQL rolls back, must still answer 201 with the
points taken once: a collision is not the till's fault, nor a database outage (503)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select, text

from souk.db.engine import Database
from souk.loyalty.tables import LoyaltyAccountRow, LoyaltyEntryRow
from tests.race.test_tender_race import points_sale, shop_with_member

pytestmark = pytest.mark.slow

STOCK_ROW = text(
    "SELECT s.id FROM stock_levels s JOIN variants v ON v.id = s.variant_id"
    " JOIN locations l ON l.id = s.location_id WHERE v.sku = 'TEE-M' AND l.code = 'store-paris'"
)


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    # SQLite has one writer at a time: its transactions queue, they never deadlock.
    return str(request.param)


def _wait_until_blocked(conn: Connection, deadline_s: float = 30.0) -> None:
    """Until another session of this database waits for a lock this one holds."""
    ends = time.monotonic() + deadline_s
    blocked = text(
        "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    while conn.scalar(blocked) == 0:
        assert time.monotonic() < ends, "the sale never came to wait for the stock row"
        time.sleep(0.01)


def test_a_till_sale_rolled_back_by_a_deadlock_is_rerun_and_takes_the_points_once(
    admin: TestClient, db: Database
) -> None:
    fr, customer = shop_with_member(admin, db, 5_000)
    till = TestClient(admin.app)
    till.headers["Authorization"] = f"Bearer {fr.pos_keys['store-paris']}"
    sale = points_sale("deadlock-1")

    with db.engine.connect() as other, ThreadPoolExecutor(1) as pool:
        # Long enough that PostgreSQL's check runs in the sale's session first.
        other.execute(text("SET deadlock_timeout = '20s'"))
        stock_id = other.scalar(STOCK_ROW)
        other.execute(text("UPDATE stock_levels SET on_hand = on_hand WHERE id = :id"),
                      {"id": stock_id})  # fmt: skip
        answer = pool.submit(till.post, "/v1/pos/sales", json=sale)
        _wait_until_blocked(other)
        # The sale holds the account and waits for the stock row: asking for the account
        # closes the circle. The sale cannot commit while this holds the stock row, so this
        # returns only once PostgreSQL has rolled the sale back.
        other.execute(
            text("SELECT 1 FROM loyalty_accounts WHERE customer_id = :c FOR UPDATE"),
            {"c": customer},
        )
        other.commit()
        sold = answer.result(timeout=60)

    assert sold.status_code == 201, sold.text
    assert (sold.json()["status"], sold.json()["totals"]["total"]["amount"]) == ("fulfilled", 2500)
    with db.transaction(write=False) as session:
        held = session.scalar(
            select(LoyaltyAccountRow.available).where(LoyaltyAccountRow.customer_id == customer)
        )
        redeemed = session.scalar(
            select(func.count())
            .select_from(LoyaltyEntryRow)
            .where(LoyaltyEntryRow.customer_id == customer, LoyaltyEntryRow.points < 0)
        )
    assert (held, redeemed) == (2_500, 1)
