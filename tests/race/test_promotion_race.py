"""A promotion's limits under racing redemptions, on a real SQLite file and a real
PostgreSQL: of 200 orders racing for a single-use code exactly one gets it; a usage limit
of N gives exactly N; a per-customer limit holds for one customer's many devices; a
cancelled order gives its use back exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.promotions.codes import add_codes
from souk.promotions.handlers import give_back_uses
from souk.promotions.redemptions import PromotionUnavailable, Use, redeem
from souk.promotions.schemas import CodesCreate, PromotionCreate
from souk.promotions.service import create_promotion
from souk.promotions.tables import PromotionCodeRow, PromotionRedemptionRow, PromotionRow

pytestmark = pytest.mark.slow


def _promotion(db: Database, **limits: int) -> str:
    body = PromotionCreate.model_validate(
        {
            "name": "Ten off",
            "coupon_required": True,
            "actions": [{"type": "percent_off", "target": "order", "value": "10"}],
            **limits,
        }
    )
    return create_promotion(uow=UnitOfWork(db), data=body).id


def _race(db: Database, attempts: list[tuple[str, Use, str | None]], workers: int = 16) -> int:
    start = threading.Barrier(workers)
    won = 0
    lock = threading.Lock()

    def attempt(order_id: str, use: Use, customer: str | None) -> None:
        nonlocal won
        with UnitOfWork(db) as uow:
            try:
                redeem(session=uow.session, order_id=order_id, uses=[use], currency="EUR",
                       customer=customer)  # fmt: skip
                uow.commit()
            except PromotionUnavailable:
                return
        with lock:
            won += 1

    def run(chunk: list[tuple[str, Use, str | None]]) -> None:
        start.wait()
        for item in chunk:
            attempt(*item)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, [attempts[i::workers] for i in range(workers)]))
    return won


def _uses(db: Database, promotion_id: str) -> tuple[int, int]:
    with UnitOfWork(db, write=False) as uow:
        used = uow.session.scalar(
            select(PromotionRow.times_used).where(PromotionRow.id == promotion_id)
        )
        redemptions = uow.session.scalar(
            select(func.count()).where(
                PromotionRedemptionRow.promotion_id == promotion_id,
                PromotionRedemptionRow.status == "active",
            )
        )
    return int(used or 0), int(redemptions or 0)


def test_a_single_use_code_is_redeemed_once_among_200_racing_orders(db: Database) -> None:
    pid = _promotion(db)
    (code,) = add_codes(uow=UnitOfWork(db), promotion_id=pid, data=CodesCreate(count=1)).codes
    attempts = [(f"ord_{i}", Use(pid, 100, code), f"cus_{i}") for i in range(200)]
    assert _race(db, attempts) == 1
    assert _uses(db, pid) == (1, 1)
    with UnitOfWork(db, write=False) as uow:
        row = uow.session.get(PromotionCodeRow, code)
        assert row is not None and row.times_used == 1


def test_a_usage_limit_and_a_per_customer_limit_hold_exactly(db: Database) -> None:
    total = _promotion(db, usage_limit=7)
    assert _race(db, [(f"o{i}", Use(total, 50), None) for i in range(60)]) == 7
    assert _uses(db, total) == (7, 7)
    personal = _promotion(db, per_customer_limit=2)
    # One customer on many devices, plus a guest known by email.
    attempts = [(f"p{i}", Use(personal, 50), "cus_anne") for i in range(40)]
    attempts += [(f"g{i}", Use(personal, 50), "email:bob@example.com") for i in range(40)]
    assert _race(db, attempts) == 4


def test_a_cancelled_order_gives_its_use_back_once(db: Database) -> None:
    pid = _promotion(db, usage_limit=1)
    with UnitOfWork(db) as uow:
        redeem(session=uow.session, order_id="ord_a", uses=[Use(pid, 100)], currency="EUR",
               customer="cus_anne")  # fmt: skip
        uow.commit()
    with UnitOfWork(db) as uow, pytest.raises(PromotionUnavailable):
        redeem(session=uow.session, order_id="ord_b", uses=[Use(pid, 100)], currency="EUR",
               customer="cus_bob")  # fmt: skip
    assert give_back_uses(uow=UnitOfWork(db), order_id="ord_a") == 1
    assert give_back_uses(uow=UnitOfWork(db), order_id="ord_a") == 0  # a redelivery
    assert _uses(db, pid) == (0, 0)
    with UnitOfWork(db) as uow:
        redeem(session=uow.session, order_id="ord_b", uses=[Use(pid, 100)], currency="EUR",
               customer="cus_bob")  # fmt: skip
        uow.commit()
    assert _uses(db, pid) == (1, 1)
