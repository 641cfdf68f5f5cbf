"""What an `Idempotency-Key` costs, counted in SQL statements and transactions (not timed):
the claim (one INSERT in its own transaction), the outcome (one UPDATE folded into the
command's transaction), the answer (one UPDATE in its own transaction, before it is sent).
A movement adds the one query that names the ledger row it wrote."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from souk.db.engine import Database
from tests.api.test_idempotency import CHECKOUT, ready_cart
from tests.fulfilment_factories import FrenchShop, french_shop


@dataclass
class Tally:
    statements: int = 0
    transactions: int = 0
    idempotency: int = 0


@contextmanager
def counted(db: Database) -> Iterator[Tally]:
    tally = Tally()

    def on_statement(_c: Any, _cur: Any, sql: str, *_: Any) -> None:
        if sql.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
            return
        tally.statements += 1
        tally.idempotency += "idempotency_keys" in sql

    def on_begin(_conn: Any) -> None:
        tally.transactions += 1

    event.listen(db.engine, "before_cursor_execute", on_statement)
    event.listen(db.engine, "begin", on_begin)
    try:
        yield tally
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
        event.remove(db.engine, "begin", on_begin)


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _cost(fr: FrenchShop, send: Callable[[dict[str, str]], Any], key: str | None) -> Tally:
    app_db: Database = fr.admin.app.state.db  # type: ignore[attr-defined]
    with counted(app_db) as tally:
        answer = send({"Idempotency-Key": key} if key else {})
    assert answer.status_code == 201, answer.text
    return tally


def test_a_keyed_checkout_costs_three_statements_and_two_short_transactions_more(
    fr: FrenchShop,
) -> None:
    carts = [ready_cart(fr) for _ in range(4)]

    def checkout(cart_id: str) -> Callable[[dict[str, str]], Any]:
        return lambda h: fr.shop.call(
            "POST", f"/v1/carts/{cart_id}/checkout", "web", json=CHECKOUT, **h
        )

    # A first checkout warms what is read once per process (channels, the key cache); the
    # checkout itself varies by one statement from one order to the next, so two plain ones
    # give the range a keyed one is compared with.
    checkout(carts[0])({})
    plain = [_cost(fr, checkout(c), None) for c in carts[1:3]]
    with_key = _cost(fr, checkout(carts[3]), "buy")
    assert with_key.idempotency == 3
    others = with_key.statements - with_key.idempotency
    assert min(p.statements for p in plain) <= others <= max(p.statements for p in plain)
    assert {with_key.transactions - p.transactions for p in plain} == {2}


def test_a_keyed_movement_costs_four_statements_more(fr: FrenchShop) -> None:
    def move(h: dict[str, str]) -> Any:
        body = {"sku": "MUG", "location": "store-lyon", "type": "receipt", "quantity": 1}
        return fr.admin.post("/v1/inventory/movements", json=body, headers=h)

    move({})
    without = _cost(fr, move, None)
    with_key = _cost(fr, move, "asn")
    assert with_key.idempotency == 3
    assert with_key.statements - without.statements == 4
    assert with_key.transactions - without.transactions == 2
