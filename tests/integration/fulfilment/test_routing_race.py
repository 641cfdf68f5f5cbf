"""`order.placed` delivered twice at once (two dispatchers, a redelivery): the order is
routed exactly once, on both back ends."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from souk.channels.queries import get_channel
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.handlers import route_order
from souk.fulfilment.tables import FulfillmentOrderLineRow
from souk.inventory.availability import available_at
from souk.orders.models import OrderLineInput
from souk.orders.service import record_order
from tests.integration.inventory import factories as f


@pytest.mark.slow
def test_concurrent_routing_of_one_order_routes_it_once(db: Database) -> None:
    f.location(db, "wh-1")
    f.variant(db, "TEE")
    f.receive(db, "TEE", "wh-1", 5)
    f.channel(db, "web", ship_from=("wh-1",))
    with UnitOfWork(db) as uow:
        order = record_order(
            session=uow.session,
            channel=get_channel(session=uow.session, code="web"),
            lines=[OrderLineInput("TEE", 2, 1000, tax=0, tax_rate=Decimal(0))],
            currency="EUR",
            fulfillment={"type": "delivery"},
            emit=uow.emit,
        )
        uow.commit()
    racers = 4
    barrier = threading.Barrier(racers)

    def race() -> bool:
        barrier.wait()
        return route_order(uow=UnitOfWork(db), order_id=order.id, config=RoutingConfig())

    with ThreadPoolExecutor(max_workers=racers) as pool:
        won = [r.result() for r in [pool.submit(race) for _ in range(racers)]]
    assert sorted(won) == [False] * (racers - 1) + [True]
    with UnitOfWork(db, write=False) as uow:
        routed = uow.session.scalar(select(func.sum(FulfillmentOrderLineRow.quantity)))
        left = available_at(session=uow.session, skus=["TEE"], locations=["wh-1"])
    assert routed == 2
    assert left == {("TEE", "wh-1"): 3}
