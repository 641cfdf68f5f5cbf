"""Order status moves and payment states: pure rules."""

from __future__ import annotations

import pytest

from souk.orders.models import OrderStatus, can_move
from souk.payments.models import capturable, status_of

S = OrderStatus


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (S.PLACED, S.CANCELLED, True),
        (S.PLACED, S.FULFILLED, True),
        (S.PARTIALLY_FULFILLED, S.FULFILLED, True),
        (S.FULFILLED, S.RETURNED, True),
        (S.FULFILLED, S.CANCELLED, False),
        (S.CANCELLED, S.PLACED, False),
        (S.CANCELLED, S.FULFILLED, False),
        (S.RETURNED, S.PLACED, False),
    ],
)
def test_status_moves(current: OrderStatus, new: OrderStatus, allowed: bool) -> None:
    assert can_move(current, new) is allowed


def test_payment_status_follows_its_amounts() -> None:
    assert status_of(amount=1000, captured=0, refunded=0, voided=0) == "authorized"
    assert status_of(amount=1000, captured=400, refunded=0, voided=0) == "partially_captured"
    assert status_of(amount=1000, captured=400, refunded=0, voided=600) == "captured"
    assert status_of(amount=1000, captured=1000, refunded=300, voided=0) == "partially_refunded"
    assert status_of(amount=1000, captured=1000, refunded=1000, voided=0) == "refunded"
    assert status_of(amount=1000, captured=0, refunded=0, voided=1000) == "voided"


def test_nothing_to_capture_from_a_declined_or_pending_payment() -> None:
    assert capturable("declined", 1000, 0, 0) == 0
    assert capturable("pending", 1000, 0, 0) == 0
    assert capturable("authorized", 1000, 300, 0) == 700
    assert capturable("captured", 1000, 400, 600) == 0
