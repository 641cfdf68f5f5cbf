"""The fulfilment order's state machine, pickup codes and the order status they imply."""

from __future__ import annotations

import pytest

from souk.errors import InvalidState
from souk.fulfilment.models import (
    Action,
    FoStatus,
    FoType,
    allowed_actions,
    hash_pickup_code,
    new_pickup_code,
    next_status,
    order_status_after,
    pickup_code_matches,
)

SHIP, PICKUP = FoType.SHIP, FoType.PICKUP
S = FoStatus


@pytest.mark.parametrize(
    ("fo_type", "path"),
    [
        (SHIP, [Action.ACCEPT, Action.PACK, Action.SHIP, Action.DELIVER]),
        (SHIP, [Action.ACCEPT, Action.SHIP, Action.DELIVER]),
        (PICKUP, [Action.ACCEPT, Action.PACK, Action.READY, Action.COLLECT]),
        (PICKUP, [Action.ACCEPT, Action.READY, Action.COLLECT]),
        (SHIP, [Action.REJECT]),
        (PICKUP, [Action.ACCEPT, Action.REJECT]),
        (PICKUP, [Action.ACCEPT, Action.READY, Action.CANCEL]),
    ],
)
def test_legal_paths_reach_their_end(fo_type: FoType, path: list[Action]) -> None:
    status = S.OPEN
    for action in path:
        status = next_status(fo_type, status, action)
    expected = {
        Action.DELIVER: S.DELIVERED,
        Action.COLLECT: S.COLLECTED,
        Action.REJECT: S.REJECTED,
        Action.CANCEL: S.CANCELLED,
    }[path[-1]]
    assert status is expected


def test_shipping_before_accepting_is_refused_with_what_is_possible() -> None:
    with pytest.raises(InvalidState) as caught:
        next_status(SHIP, S.OPEN, Action.SHIP)
    assert caught.value.detail == (
        "A fulfilment order that is open cannot be shipped (possible now: accept, reject, cancel)"
    )


def test_a_pickup_order_cannot_be_shipped_nor_a_ship_order_collected() -> None:
    with pytest.raises(InvalidState, match="A pickup fulfilment order cannot be shipped"):
        next_status(PICKUP, S.ACCEPTED, Action.SHIP)
    with pytest.raises(InvalidState, match="A ship fulfilment order cannot be collected"):
        next_status(SHIP, S.SHIPPED, Action.COLLECT)


@pytest.mark.parametrize("done", [S.DELIVERED, S.COLLECTED, S.REJECTED, S.CANCELLED])
def test_finished_orders_do_not_move(done: FoStatus) -> None:
    for fo_type in FoType:
        assert allowed_actions(fo_type, done) == []
        with pytest.raises(InvalidState, match="possible now: nothing"):
            next_status(fo_type, done, Action.ACCEPT)


def test_rejecting_after_packing_is_too_late() -> None:
    with pytest.raises(InvalidState):
        next_status(SHIP, S.PACKED, Action.REJECT)


def test_pickup_codes_are_six_digits_and_verified_by_hash() -> None:
    code = new_pickup_code()
    assert len(code) == 6 and code.isdigit()
    stored = hash_pickup_code("fo_1", code)
    assert pickup_code_matches("fo_1", code, stored)
    assert pickup_code_matches("fo_1", f" {code} ", stored)
    assert not pickup_code_matches("fo_2", code, stored)
    assert not pickup_code_matches("fo_1", "000000" if code != "000000" else "111111", stored)
    assert not pickup_code_matches("fo_1", code, None)


@pytest.mark.parametrize(
    ("statuses", "unrouted", "expected"),
    [
        ([S.OPEN, S.ACCEPTED], 0, None),
        ([S.SHIPPED, S.OPEN], 0, "partially_fulfilled"),
        ([S.SHIPPED, S.COLLECTED], 0, "fulfilled"),
        ([S.DELIVERED, S.REJECTED], 0, "fulfilled"),
        ([S.SHIPPED], 2, "partially_fulfilled"),
        ([S.REJECTED, S.CANCELLED], 0, None),
    ],
)
def test_order_status_follows_its_fulfilment_orders(
    statuses: list[FoStatus], unrouted: int, expected: str | None
) -> None:
    assert order_status_after(statuses, unrouted_units=unrouted) == expected
