"""Catalog rules that need no database: when a listing is open, and for whom."""

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
    # Early access: members of these loyalty tiers may buy from `early_from` on, everyone
    # else from `available_from` (which `early_from` always precedes).
    early_from: datetime | None = None
    early_tiers: frozenset[str] = frozenset()

    def is_open(self, at: datetime, tier: str | None = None) -> bool:
        if not self.published:
            return False
        if self.available_until is not None and at >= self.available_until:
            return False
        if self.available_from is None or at >= self.available_from:
            return True
        return self.in_early_window(at) and tier in self.early_tiers

    def in_early_window(self, at: datetime) -> bool:
        """Whether only early-access members may buy now: the one moment a buyer's tier
        matters, so callers read the tier only then."""
        return (
            self.published
            and self.early_from is not None
            and self.available_from is not None
            and self.early_from <= at < self.available_from
            and (self.available_until is None or at < self.available_until)
        )
