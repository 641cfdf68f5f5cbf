"""Catalog rules that need no database: when a listing is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class HoldStock(StrEnum):
    """When a cart takes stock out of availability (issue 4's policy per listing)."""

    CHECKOUT = "checkout"
    CART = "cart"


@dataclass(frozen=True, slots=True)
class ListingState:
    """A product's listing in one channel.

    A window is half-open, `[available_from, available_until)`: a 24-hour drop that opens at
    10:00 is closed again at 10:00 the next day.
    """

    published: bool
    available_from: datetime | None
    available_until: datetime | None
    hold_stock: HoldStock
    hold_minutes: int | None

    def is_open(self, at: datetime) -> bool:
        if not self.published:
            return False
        if self.available_from is not None and at < self.available_from:
            return False
        return self.available_until is None or at < self.available_until
