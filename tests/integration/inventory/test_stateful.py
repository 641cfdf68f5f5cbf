"""A hypothesis state machine over the ledger, reservations, allocations and transfers.

Random sequences of receipts, counts, damage, reservations, expiries (an injected clock,
never a sleep), allocations, cancellations, shipments and transfers run against the real
database on both back ends. After every step the database must equal a simple model, and:
  invariant 1 — reserved + allocated ≤ on hand at every location, unless a count or damage
                physically took units below what was promised (then nothing new is promised);
  invariant 2 — on hand = the sum of that location's movements.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from souk.catalog.queries import variants_by_sku
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, OutOfStock
from souk.inventory import movements, reservations, transfers
from souk.inventory.models import ReserveLine
from souk.inventory.queries import as_dict, location_ids
from souk.inventory.stock import read_stock
from souk.inventory.tables import MovementRow
from tests.integration.inventory import factories as f

_runs = itertools.count()
SIDES = (0, 1)


@dataclass
class Hold:
    expires_at: datetime
    lines: dict[int, int]
    state: str = "active"


@dataclass
class Move:
    source: int
    target: int
    quantity: int
    status: str = "requested"


@dataclass
class Model:
    on_hand: list[int] = field(default_factory=lambda: [0, 0])
    inbound: list[int] = field(default_factory=lambda: [0, 0])
    holds: dict[str, Hold] = field(default_factory=dict)
    allocations: dict[str, tuple[int, int]] = field(default_factory=dict)  # id → (side, left)
    moves: dict[str, Move] = field(default_factory=dict)
    shrunk: list[bool] = field(default_factory=lambda: [False, False])

    def reserved(self, side: int, now: datetime) -> int:
        return sum(
            h.lines.get(side, 0)
            for h in self.holds.values()
            if h.state == "active" and h.expires_at > now
        )

    def allocated(self, side: int) -> int:
        by_orders = sum(left for s, left in self.allocations.values() if s == side)
        by_moves = sum(
            m.quantity for m in self.moves.values() if m.source == side and m.status == "requested"
        )
        return by_orders + by_moves

    def available(self, side: int, now: datetime) -> int:
        committed = self.reserved(side, now) + self.allocated(side)
        return max(0, self.on_hand[side] - committed)


class InventoryMachine(RuleBasedStateMachine):
    db: Database

    def __init__(self) -> None:
        super().__init__()
        self.now = utcnow() + timedelta(days=1)
        self.model = Model()

    @initialize()
    def setup(self) -> None:
        run = next(_runs)
        self.codes = [f"m{run}-a", f"m{run}-b"]
        for code in self.codes:
            f.location(self.db, code)
        self.sku = f"SKU-{run}"
        f.variant(self.db, self.sku)
        self.channel = f.channel(self.db, f"ch-{run}", ship_from=tuple(self.codes))
        for side, code in enumerate(self.codes):
            f.receive(self.db, self.sku, code, 6, now=self.now)
            self.model.on_hand[side] = 6

    def _uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    def _physical(self, side: int) -> None:
        committed = self.model.reserved(side, self.now) + self.model.allocated(side)
        if committed > self.model.on_hand[side]:
            self.model.shrunk[side] = True

    @rule(
        side=st.sampled_from(SIDES),
        kind=st.sampled_from(["receipt", "receipt", "count", "damage"]),
        quantity=st.integers(0, 8),
    )
    def physical(self, side: int, kind: str, quantity: int) -> None:
        """A receipt, a count (even below what is promised) or damage."""
        if kind != "count":
            quantity = max(1, quantity)
        on_hand = self.model.on_hand[side]
        with self._uow() as uow:
            try:
                movement = movements.record_movement(
                    session=uow.session,
                    sku=self.sku,
                    location=self.codes[side],
                    type=kind,
                    quantity=quantity,
                    now=self.now,
                )
                uow.commit()
            except InvalidState:
                assert kind == "damage" and quantity > on_hand
                return
        expected = {"receipt": quantity, "damage": -quantity, "count": quantity - on_hand}[kind]
        assert movement.quantity == expected
        assert kind != "damage" or quantity <= on_hand
        self.model.on_hand[side] += expected
        self._physical(side)

    @rule(quantity=st.integers(1, 5), minutes=st.integers(1, 10))
    def reserve(self, quantity: int, minutes: int) -> None:
        before = [self.model.available(side, self.now) for side in SIDES]
        expires_at = self.now + timedelta(minutes=minutes)
        with self._uow() as uow:
            try:
                info = reservations.reserve(
                    session=uow.session,
                    channel=self.channel,
                    lines=[ReserveLine(self.sku, quantity)],
                    expires_at=expires_at,
                    now=self.now,
                )
                uow.commit()
            except OutOfStock:
                assert sum(before) < quantity
                return
        lines = {self.codes.index(line.location): line.quantity for line in info.lines}
        assert sum(lines.values()) == quantity
        assert all(units <= before[side] for side, units in lines.items())
        self.model.holds[info.id] = Hold(expires_at, lines)

    @rule(minutes=st.integers(1, 8))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: any(h.state == "active" for h in self.model.holds.values()))
    @rule(data=st.data())
    def allocate(self, data: st.DataObject) -> None:
        """Allocate a reservation not yet released or allocated — live or expired."""
        active = [i for i, h in self.model.holds.items() if h.state == "active"]
        hold_id = data.draw(st.sampled_from(active))
        hold = self.model.holds[hold_id]
        live = hold.state == "active" and hold.expires_at > self.now
        with self._uow() as uow:
            try:
                made = reservations.allocate(
                    session=uow.session, reservation_id=hold_id, reference="ord", now=self.now
                )
                uow.commit()
            except InvalidState:
                assert not live
                return
        assert live
        hold.state = "allocated"
        for allocation in made:
            side = self.codes.index(allocation.location)
            self.model.allocations[allocation.id] = (side, allocation.quantity)

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(list(self.model.holds)))
        hold = self.model.holds[hold_id]
        with self._uow() as uow:
            try:
                reservations.release(session=uow.session, reservation_id=hold_id, now=self.now)
                uow.commit()
            except InvalidState:
                assert hold.state == "allocated"
                return
        if hold.state == "active":
            hold.state = "released"

    @precondition(lambda self: any(left for _, left in self.model.allocations.values()))
    @rule(data=st.data(), ship=st.booleans())
    def ship_or_cancel(self, data: st.DataObject, ship: bool) -> None:
        open_ = [a for a, (_, left) in self.model.allocations.items() if left]
        allocation_id = data.draw(st.sampled_from(open_))
        side, left = self.model.allocations[allocation_id]
        units = data.draw(st.integers(1, left))
        with self._uow() as uow:
            if ship:
                reservations.consume_allocation(
                    session=uow.session, allocation_id=allocation_id, quantity=units, now=self.now
                )
                self.model.on_hand[side] -= units
            else:
                reservations.deallocate(
                    session=uow.session, allocation_id=allocation_id, quantity=units, now=self.now
                )
            uow.commit()
        self.model.allocations[allocation_id] = (side, left - units)

    @rule(source=st.sampled_from(SIDES), quantity=st.integers(1, 4))
    def request_transfer(self, source: int, quantity: int) -> None:
        target = 1 - source
        available = self.model.available(source, self.now)
        try:
            moved = transfers.request_transfer(
                uow=self._uow(),
                sku=self.sku,
                from_location=self.codes[source],
                to_location=self.codes[target],
                quantity=quantity,
                now=self.now,
            )
        except OutOfStock:
            assert available < quantity
            return
        assert available >= quantity
        self.model.moves[moved.id] = Move(source, target, quantity)

    @precondition(
        lambda self: any(m.status in ("requested", "shipped") for m in self.model.moves.values())
    )
    @rule(data=st.data())
    def advance_transfer(self, data: st.DataObject) -> None:
        # Insertion order, not the ids' order: ids are random, and a replayed example must
        # draw the same choices.
        pending = [t for t, m in self.model.moves.items() if m.status in ("requested", "shipped")]
        transfer_id = data.draw(st.sampled_from(pending))
        move = self.model.moves[transfer_id]
        action = "ship" if move.status == "requested" else "receive"
        transfers.advance_transfer(
            uow=self._uow(), transfer_id=transfer_id, action=action, now=self.now
        )
        if action == "ship":
            self.model.on_hand[move.source] -= move.quantity
            self.model.inbound[move.target] += move.quantity
            move.status = "shipped"
        else:
            self.model.inbound[move.target] -= move.quantity
            self.model.on_hand[move.target] += move.quantity
            move.status = "received"

    @invariant()
    def database_matches_the_model_and_the_invariants_hold(self) -> None:
        if not hasattr(self, "sku"):
            return
        with UnitOfWork(self.db, write=False) as uow:
            variant = variants_by_sku(session=uow.session, skus=[self.sku])[self.sku]
            ids = location_ids(session=uow.session, codes=self.codes)
            live = read_stock(uow.session, now=self.now, variant_ids=[variant.variant_id])
            ledger = as_dict(
                uow.session.execute(
                    select(MovementRow.location_id, func.sum(MovementRow.quantity))
                    .where(MovementRow.variant_id == variant.variant_id)
                    .group_by(MovementRow.location_id)
                )
            )
        model = self.model
        for side, code in enumerate(self.codes):
            stock = live.get((variant.variant_id, ids[code]))
            figures = (
                (stock.figures.on_hand, stock.figures.reserved, stock.figures.allocated)
                if stock
                else (0, 0, 0)
            )
            expected = (model.on_hand[side], model.reserved(side, self.now), model.allocated(side))
            assert figures == expected, (code, figures, expected)
            assert (stock.figures.inbound if stock else 0) == model.inbound[side]
            # invariant 2
            assert ledger.get(ids[code], 0) == model.on_hand[side]
            # invariant 1
            on_hand, reserved, allocated = figures
            if reserved + allocated <= on_hand:
                model.shrunk[side] = False
            assert reserved + allocated <= on_hand or model.shrunk[side], code


@pytest.mark.slow
def test_ledger_and_reservations_keep_their_invariants(db: Database) -> None:
    InventoryMachine.db = db
    run_state_machine_as_test(
        InventoryMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
