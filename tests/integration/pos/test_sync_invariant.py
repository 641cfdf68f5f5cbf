"""Invariant 4 for the till (property test, both back ends): whatever a sync batch holds —
repeats, malformed entries, sales beyond the stock — and however often it is sent, each
valid `client_txn_id` takes effect exactly once and gets the same answer every time."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from souk.access.models import Principal, Role
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.inventory.movements import record_movement
from souk.orders.tables import OrderRow
from souk.pos import service
from tests.integration.inventory import factories as f

TILL = Principal(key_id="key_till", role=Role.POS, channel="pos-1", location="store-1")
_batch = itertools.count()

sale = st.fixed_dictionaries(
    {"n": st.integers(0, 4), "quantity": st.integers(1, 3), "paid_ok": st.booleans()}
)
entry = st.one_of(sale, st.just("malformed"))


def _orders(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(OrderRow)) or 0)


def _txn(prefix: str, spec: Any) -> Any:
    if spec == "malformed":
        return {"client_txn_id": f"{prefix}-bad", "lines": []}
    n, q = spec["n"], spec["quantity"]
    return {
        "client_txn_id": f"{prefix}-{n}",
        "occurred_at": (utcnow() - timedelta(days=2)).isoformat(),
        "lines": [{"sku": "TEE", "quantity": q, "unit_price": 1000}],
        "payments": [{"method": "cash", "amount": 1000 * q if spec["paid_ok"] else 1}],
    }


def test_each_valid_transaction_takes_effect_once(db: Database) -> None:
    f.location(db, "store-1", type="store", can_pickup=True)
    f.variant(db, "TEE")
    f.receive(db, "TEE", "store-1", 3)
    f.channel(db, "pos-1", type="pos")
    sold: list[int] = []

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(specs=st.lists(entry, min_size=1, max_size=6), sends=st.integers(1, 3))
    def check(specs: list[Any], sends: int) -> None:
        prefix = f"b{next(_batch)}"
        batch = [_txn(prefix, s) for s in specs]
        orders_before = _orders(db)
        answers = [service.sync(db=db, principal=TILL, transactions=batch) for _ in range(sends)]
        # The first valid occurrence of each id decides; later copies replay or conflict.
        first: dict[str, Any] = {}
        for spec, txn in zip(specs, batch, strict=True):
            if spec != "malformed" and spec["paid_ok"]:
                first.setdefault(txn["client_txn_id"], txn)
        assert _orders(db) - orders_before == len(first)
        sold.extend(txn["lines"][0]["quantity"] for txn in first.values())
        for send, results in enumerate(answers):
            assert len(results) == len(batch)
            for position, (result, txn) in enumerate(zip(results, batch, strict=True)):
                winner = first.get(txn.get("client_txn_id", ""))
                if winner is None:
                    assert result.status == 422
                elif txn == winner:
                    assert result.status == 201
                    assert result.order == answers[0][batch.index(winner)].order
                elif send == 0 and position < batch.index(winner):
                    # Refused on its own merits before the winner was recorded.
                    assert result.status == 422
                else:
                    # The id is taken by other content: refused, never matched.
                    assert result.status == 409

    check()
    # Every unit sold left the shelf once; sales beyond the 3 units were never refused.
    with UnitOfWork(db) as uow:
        probe = record_movement(
            session=uow.session, sku="TEE", location="store-1", type="adjustment", quantity=1
        )
    assert probe.on_hand_after - 1 == 3 - sum(sold)
