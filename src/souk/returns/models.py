"""Return rules — pure: which units may come back, and how much may be given back for them.

A unit may be returned if it was handed over (shipped or collected, or sold at a till),
is not already on another return, is not of a non-returnable category or SKU, and the
return is opened within the window that started when the order was placed. A refund for a
return never exceeds the value of its units less what was already refunded for it; the
payment side separately never refunds more than was captured across all refunds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from souk.errors import field_error
from souk.money import allocate


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    RECEIVED = "received"
    REFUNDED = "refunded"


class Condition(StrEnum):
    RESELLABLE = "resellable"
    DAMAGED = "damaged"


class RefundTo(StrEnum):
    ORIGINAL = "original"
    STORE_CREDIT = "store_credit"


@dataclass(frozen=True, slots=True)
class Policy:
    window_days: int
    non_returnable_categories: frozenset[str] = frozenset()
    non_returnable_skus: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    """What the order says of one SKU: units handed over, units already on returns."""

    sku: str
    category: str | None
    handed_over: int
    already_returned: int

    @property
    def returnable(self) -> int:
        return max(0, self.handed_over - self.already_returned)


@dataclass(frozen=True, slots=True)
class RequestedLine:
    sku: str
    quantity: int


def window_closes(placed_at: datetime, policy: Policy) -> datetime:
    return placed_at + timedelta(days=policy.window_days)


def refusals(
    *,
    requested: Sequence[RequestedLine],
    order_lines: Mapping[str, ReturnableLine],
    policy: Policy,
    placed_at: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    """Every reason, per field, why this return may not be opened (empty: it may)."""
    errors = []
    closes = window_closes(placed_at, policy)
    if now > closes:
        errors.append(
            field_error(
                "body",
                f"the {policy.window_days}-day return window closed on {closes.date().isoformat()}",
            )
        )
    asked: dict[str, int] = {}
    for i, line in enumerate(requested):
        asked[line.sku] = asked.get(line.sku, 0) + line.quantity
        here = f"body.lines.{i}"
        known = order_lines.get(line.sku)
        if known is None:
            errors.append(field_error(f"{here}.sku", f"{line.sku!r} is not in this order"))
            continue
        if line.sku in policy.non_returnable_skus or (
            known.category is not None and known.category in policy.non_returnable_categories
        ):
            errors.append(field_error(f"{here}.sku", f"{line.sku!r} cannot be returned"))
            continue
        if asked[line.sku] > known.returnable:
            errors.append(
                field_error(
                    f"{here}.quantity",
                    f"only {known.returnable} unit(s) of {line.sku!r} can be returned "
                    f"({known.handed_over} handed over, {known.already_returned} already "
                    "on a return)",
                )
            )
    return errors


@dataclass(frozen=True, slots=True)
class Inspected:
    sku: str
    quantity: int
    condition: Condition


def receipt_errors(
    *, expected: Mapping[str, int], received: Sequence[Inspected]
) -> list[dict[str, Any]]:
    """A receipt must account for no more units of each SKU than the return announced."""
    errors = []
    counted: dict[str, int] = {}
    for i, unit in enumerate(received):
        counted[unit.sku] = counted.get(unit.sku, 0) + unit.quantity
        if unit.sku not in expected:
            errors.append(field_error(f"body.lines.{i}.sku", f"{unit.sku!r} is not on this return"))
        elif counted[unit.sku] > expected[unit.sku]:
            errors.append(
                field_error(
                    f"body.lines.{i}.quantity",
                    f"the return announced {expected[unit.sku]} unit(s) of {unit.sku!r}",
                )
            )
    return errors


def refund_ceiling(*, value: int, refunded: int) -> int:
    """What may still be refunded for a return worth `value`."""
    return max(0, value - refunded)


def share(amount: int, quantity: int, units: int, *, skip: int = 0) -> int:
    """The value of `units` of `quantity` units worth `amount` together, after `skip` units.

    Split exactly (largest remainder), so that returning every unit, in any number of
    returns, gives back exactly `amount` — never a cent more or less.
    """
    if quantity <= 0 or units <= 0:
        return 0
    parts = allocate(amount, [1] * quantity)
    return sum(parts[skip : skip + units])
