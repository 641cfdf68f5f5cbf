"""Orders: statuses, lines and totals — pure rules, no persistence.

Totals (invariant 3): `total = subtotal - discount + shipping + tax`, exactly, in minor
units, where `subtotal` is the sum of unit price × quantity over the lines, `discount` the
sum of line discounts, and `tax` the tax *added on top* of the prices. When a channel's
prices include tax, nothing is added (`tax` is 0) and the tax contained in the prices is
reported separately as `tax_included`, so the equation holds in both cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from souk.money import tax_included_in, tax_on


class OrderStatus(StrEnum):
    PLACED = "placed"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


# Which status may follow which. Returns come after fulfilment; a cancelled order is final.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset(
        {OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PARTIALLY_FULFILLED: frozenset(
        {OrderStatus.FULFILLED, OrderStatus.CANCELLED, OrderStatus.PARTIALLY_RETURNED}
    ),
    OrderStatus.FULFILLED: frozenset({OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED}),
    OrderStatus.PARTIALLY_RETURNED: frozenset(
        {OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED}
    ),
    OrderStatus.RETURNED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def can_move(current: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class OrderLineInput:
    """A line as the caller priced it: `tax` is this line's tax amount, included in or added
    to `unit_price × quantity − discount` according to the channel's convention."""

    sku: str
    quantity: int
    unit_price: int
    discount: int = 0
    tax: int = 0
    tax_rate: Decimal = Decimal(0)
    title: str | None = None

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: int
    discount: int
    shipping: int
    tax: int
    tax_included: int
    total: int


def tax_for(amount: int, rate: Decimal, *, inclusive: bool) -> int:
    """The tax of one line (or of shipping): contained in it, or to add on top."""
    if rate == 0 or amount == 0:
        return 0
    return tax_included_in(amount, rate) if inclusive else tax_on(amount, rate)


def compute_totals(
    lines: Sequence[OrderLineInput],
    *,
    shipping: int = 0,
    shipping_tax: int = 0,
    prices_include_tax: bool,
) -> Totals:
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    discount = sum(line.discount for line in lines)
    all_tax = sum(line.tax for line in lines) + shipping_tax
    added = 0 if prices_include_tax else all_tax
    return Totals(
        subtotal=subtotal,
        discount=discount,
        shipping=shipping,
        tax=added,
        tax_included=all_tax if prices_include_tax else 0,
        total=subtotal - discount + shipping + added,
    )


def line_errors(lines: Sequence[OrderLineInput]) -> list[tuple[int, str, str]]:
    """(index, field, message) for every line that cannot be on an order."""
    problems: list[tuple[int, str, str]] = []
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            problems.append((i, "quantity", "must be at least 1"))
        if line.unit_price < 0:
            problems.append((i, "unit_price", "cannot be negative"))
        elif line.discount < 0 or line.discount > line.unit_price * max(line.quantity, 0):
            problems.append((i, "discount", "must be between 0 and the line amount"))
        if line.tax < 0:
            problems.append((i, "tax", "cannot be negative"))
    return problems
