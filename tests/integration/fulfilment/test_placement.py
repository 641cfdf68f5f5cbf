"""Routing placed orders against real inventory, on both back ends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.placement import route_placed_order
from souk.fulfilment.routing_model import Destination
from souk.fulfilment.sourcing import HeldAllocation, LineToRoute, OrderToRoute, Outcome
from souk.fulfilment.tables import FulfillmentHoldRow, FulfillmentOrderRow, OrderRoutingRow
from souk.inventory.availability import available_at
from souk.inventory.reservations import allocate_direct
from souk.inventory.transfers import get_transfer
from tests.integration.inventory import factories as f
from tests.support.statements import counting

PARIS = Destination(48.857, 2.352, "FR")


@pytest.fixture
def network(db: Database) -> None:
    f.location(db, "wh-lille", lat=50.63, lon=3.06)
    f.location(db, "store-paris", type="store", lat=48.86, lon=2.35, can_pickup=True)
    f.location(db, "store-lyon", type="store", lat=45.76, lon=4.84, can_pickup=True)
    for sku in ("TEE", "CAP", "MUG"):
        f.variant(db, sku)
    f.receive(db, "TEE", "wh-lille", 10)
    f.receive(db, "CAP", "wh-lille", 10)
    f.receive(db, "TEE", "store-paris", 1)
    f.receive(db, "CAP", "store-paris", 1)
    f.receive(db, "MUG", "store-lyon", 2)
    f.channel(
        db, "web", ship_from=("wh-lille", "store-paris", "store-lyon"),
        pickup_at=("store-paris", "store-lyon"),
    )  # fmt: skip


def _route(db: Database, order: OrderToRoute) -> Outcome | None:
    events: list[tuple[str, dict[str, Any]]] = []
    with UnitOfWork(db) as uow:
        outcome = route_placed_order(
            uow.session,
            order=order,
            config=RoutingConfig(),
            emit=lambda n, p: events.append((n, p)),
        )
        uow.commit()
    return outcome


def _allocate(db: Database, sku: str, location: str, quantity: int, ref: str) -> HeldAllocation:
    with UnitOfWork(db) as uow:
        made = allocate_direct(
            session=uow.session, sku=sku, location=location, quantity=quantity, reference=ref
        )
        uow.commit()
    return HeldAllocation(made.id, location, quantity)


def _available(db: Database, *pairs: tuple[str, str]) -> dict[tuple[str, str], int]:
    with UnitOfWork(db, write=False) as uow:
        found = available_at(
            session=uow.session, skus={s for s, _ in pairs}, locations={loc for _, loc in pairs}
        )
    return {pair: found[pair] for pair in pairs}


def _fos(db: Database, order_id: str) -> list[tuple[str, str, str, list[tuple[str, int]]]]:
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.scalars(
            select(FulfillmentOrderRow)
            .where(FulfillmentOrderRow.order_id == order_id)
            .order_by(FulfillmentOrderRow.location)
        )
        return [
            (fo.location, fo.type, fo.status, sorted((ln.sku, ln.quantity) for ln in fo.lines))
            for fo in rows
        ]


@pytest.mark.usefixtures("network")
def test_an_order_checkout_allocated_in_lille_ships_from_the_paris_store(db: Database) -> None:
    # Given checkout allocated both lines at the Lille warehouse
    tee = _allocate(db, "TEE", "wh-lille", 1, "ord_1")
    cap = _allocate(db, "CAP", "wh-lille", 1, "ord_1")
    order = OrderToRoute(
        "ord_1", "web",
        (LineToRoute("l1", "TEE", 1, (tee,)), LineToRoute("l2", "CAP", 1, (cap,))),
        destination=PARIS,
    )  # fmt: skip
    # When it is routed to a customer in Paris
    outcome = _route(db, order)
    # Then one package leaves the Paris store, and Lille gets its units back
    assert outcome is not None and outcome.held_units == 0
    assert _fos(db, "ord_1") == [("store-paris", "ship", "open", [("CAP", 1), ("TEE", 1)])]
    assert _available(db, ("TEE", "wh-lille"), ("TEE", "store-paris"), ("CAP", "wh-lille")) == {
        ("TEE", "wh-lille"): 10,
        ("TEE", "store-paris"): 0,
        ("CAP", "wh-lille"): 10,
    }


@pytest.mark.usefixtures("network")
def test_routing_twice_changes_nothing(db: Database) -> None:
    order = OrderToRoute("ord_2", "web", (LineToRoute("l1", "TEE", 2),), destination=PARIS)
    assert _route(db, order) is not None
    assert _route(db, order) is None
    assert _fos(db, "ord_2") == [("wh-lille", "ship", "open", [("TEE", 2)])]
    assert _available(db, ("TEE", "wh-lille")) == {("TEE", "wh-lille"): 8}


@pytest.mark.usefixtures("network")
def test_units_nobody_has_are_held_for_a_decision(db: Database) -> None:
    order = OrderToRoute(
        "ord_3", "web", (LineToRoute("l1", "MUG", 3), LineToRoute("l2", "CAP", 1)),
        destination=PARIS,
    )  # fmt: skip
    outcome = _route(db, order)
    assert outcome is not None and outcome.held_units == 1
    # (Lille's cheaper handling outweighs its 225 km against the Paris store.)
    assert _fos(db, "ord_3") == [
        ("store-lyon", "ship", "open", [("MUG", 2)]),
        ("wh-lille", "ship", "open", [("CAP", 1)]),
    ]
    with UnitOfWork(db, write=False) as uow:
        holds = uow.session.scalars(select(FulfillmentHoldRow)).all()
        assert [(h.sku, h.quantity, h.status) for h in holds] == [("MUG", 1, "open")]
        assert uow.session.get_one(OrderRoutingRow, "ord_3").status == "needs_decision"


@pytest.mark.usefixtures("network")
def test_click_and_collect_at_a_store_lacking_the_item_requests_a_transfer(db: Database) -> None:
    # Given a customer collecting in Paris a mug only Lyon has, and a tee Paris has
    order = OrderToRoute(
        "ord_4", "web", (LineToRoute("l1", "MUG", 1), LineToRoute("l2", "TEE", 1)),
        pickup_at="store-paris",
    )  # fmt: skip
    # When it is routed
    outcome = _route(db, order)
    # Then Paris gets one pickup order: the tee from its shelf, the mug by transfer from Lyon
    assert outcome is not None and outcome.held_units == 0
    (fo,) = outcome.fulfillment_orders
    assert _fos(db, "ord_4") == [("store-paris", "pickup", "open", [("MUG", 1), ("TEE", 1)])]
    mug = next(line for line in fo.lines if line.sku == "MUG")
    assert mug.allocation_id is None and mug.transfer_from == "store-lyon"
    assert mug.transfer_id is not None
    with UnitOfWork(db, write=False) as uow:
        transfer = get_transfer(session=uow.session, transfer_id=mug.transfer_id)
    assert (transfer.from_location, transfer.to_location, transfer.quantity) == (
        "store-lyon", "store-paris", 1,
    )  # fmt: skip
    # Lyon–Paris is ~392 km: 24 h + 4 h per 100 km, rounded up.
    assert fo.estimated_ready_at is not None
    hours = (fo.estimated_ready_at - fo.created_at).total_seconds() / 3600
    assert 39 <= hours <= 41
    assert _available(db, ("MUG", "store-lyon"), ("TEE", "store-paris")) == {
        ("MUG", "store-lyon"): 1,
        ("TEE", "store-paris"): 0,
    }


@pytest.mark.usefixtures("network")
def test_an_order_of_a_one_warehouse_channel_ships_as_allocated_without_reading_stock(
    db: Database,
) -> None:
    # Given a channel that ships from Lille alone, and checkout allocated both lines there
    f.channel(db, "outlet", ship_from=("wh-lille",))
    tee = _allocate(db, "TEE", "wh-lille", 2, "ord_5")
    cap = _allocate(db, "CAP", "wh-lille", 1, "ord_5")
    order = OrderToRoute(
        "ord_5", "outlet",
        (LineToRoute("l1", "TEE", 2, (tee,)), LineToRoute("l2", "CAP", 1, (cap,))),
        destination=PARIS,
    )  # fmt: skip
    # When it is routed (to Paris, where another channel would ship from the store)
    with counting(db.engine) as count:
        outcome = _route(db, order)
    # Then one package leaves Lille with the allocated units, and nothing else moved
    assert outcome is not None and outcome.held_units == 0
    assert _fos(db, "ord_5") == [("wh-lille", "ship", "open", [("CAP", 1), ("TEE", 2)])]
    assert _available(db, ("TEE", "wh-lille"), ("CAP", "wh-lille")) == {
        ("TEE", "wh-lille"): 8,
        ("CAP", "wh-lille"): 9,
    }
    # …decided without reading the stock (there was nowhere else to ship from), and said so
    assert not [s for s in count.statements if s.startswith("SELECT") and "stock_levels" in s]
    with UnitOfWork(db, write=False) as uow:
        routing = uow.session.get_one(OrderRoutingRow, "ord_5")
        assert (routing.status, routing.method, routing.solver_status, routing.cost) == (
            "routed", "as_allocated", "single_location", None,
        )  # fmt: skip


@pytest.mark.usefixtures("network")
def test_an_unallocated_order_of_a_one_warehouse_channel_is_still_planned(db: Database) -> None:
    # Given a channel that ships from Lille alone, and an order nothing was allocated for
    f.channel(db, "outlet", ship_from=("wh-lille",))
    order = OrderToRoute("ord_6", "outlet", (LineToRoute("l1", "TEE", 3),), destination=PARIS)
    # When it is routed
    outcome = _route(db, order)
    # Then the plan allocates it in Lille, like any other
    assert outcome is not None and outcome.held_units == 0
    assert outcome.plan is not None and outcome.plan.method != "as_allocated"
    assert _fos(db, "ord_6") == [("wh-lille", "ship", "open", [("TEE", 3)])]
    assert _available(db, ("TEE", "wh-lille")) == {("TEE", "wh-lille"): 7}
