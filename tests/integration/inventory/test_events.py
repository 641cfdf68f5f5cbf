"""Inventory events leave through the outbox, in the transaction that made the change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, OutOfStock
from souk.inventory import movements, reservations
from souk.inventory.models import ReserveLine
from tests.integration.inventory import factories as f


def _events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    with UnitOfWork(db, write=False) as uow:
        rows = uow.session.execute(
            select(OutboxEvent.name, OutboxEvent.payload).order_by(OutboxEvent.id)
        ).all()
        return [(name, dict(payload)) for name, payload in rows]


def test_a_movement_announces_the_change(db: Database) -> None:
    f.location(db, "wh-1")
    f.variant(db, "TEE")
    movement = movements.record(
        uow=UnitOfWork(db), sku="TEE", location="wh-1", type="receipt", quantity=4
    )
    assert _events(db) == [
        (
            "inventory.changed",
            {
                "sku": "TEE",
                "location": "wh-1",
                "movement_id": movement.id,
                "type": "receipt",
                "quantity": 4,
                "on_hand": 4,
                "available": 4,
            },
        )
    ]


def test_low_stock_fires_once_when_the_last_unit_is_reserved(db: Database) -> None:
    # given 2 units and a web channel
    f.location(db, "wh-1")
    f.variant(db, "TEE")
    f.receive(db, "TEE", "wh-1", 2)
    channel = f.channel(db, "web", ship_from=("wh-1",))
    before = len(_events(db))

    def reserve() -> None:
        with UnitOfWork(db) as uow:
            reservations.reserve(
                session=uow.session,
                channel=channel,
                lines=[ReserveLine("TEE", 1)],
                expires_at=utcnow() + timedelta(minutes=5),
            )
            uow.commit()

    # when both are reserved, and a third attempt fails
    reserve()
    assert _events(db)[before:] == []
    reserve()
    with pytest.raises(OutOfStock):
        reserve()
    # then one low-stock event, for the reservation that emptied the shelf
    assert _events(db)[before:] == [
        (
            "inventory.low_stock",
            {"sku": "TEE", "location": "wh-1", "available": 0, "threshold": 0},
        )
    ]


def test_a_refused_change_announces_nothing(db: Database) -> None:
    f.location(db, "wh-1")
    f.variant(db, "TEE")
    with pytest.raises(InvalidState):
        movements.record(uow=UnitOfWork(db), sku="TEE", location="wh-1", type="damage", quantity=1)
    assert _events(db) == []
