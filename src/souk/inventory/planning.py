"""Where a reservation draws its units from — a pure rule, no database.

Lines that name a location draw there; the others draw from the channel's ship-from
locations in the channel's order of preference: one location that can cover the whole
quantity first (fewer parcels), else split over several. Lines on the same SKU draw on the
same figures, so a cart with the SKU twice is never counted twice. A variant that allows
backorders takes what is missing at its first location anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Demand:
    sku: str
    quantity: int
    location: str | None = None


Key = tuple[str, str]  # (sku, location code)


@dataclass(frozen=True, slots=True)
class Plan:
    draws: dict[Key, int]
    short: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return not self.short


def plan_draws(
    demands: Sequence[Demand],
    *,
    available: Mapping[Key, int],
    candidates: Sequence[str],
    backorder: Collection[str] = (),
) -> Plan:
    fixed: dict[Key, int] = {}
    flexible: dict[str, int] = {}
    for demand in demands:
        if demand.location is None:
            flexible[demand.sku] = flexible.get(demand.sku, 0) + demand.quantity
        else:
            key = (demand.sku, demand.location)
            fixed[key] = fixed.get(key, 0) + demand.quantity

    remaining = {key: max(0, units) for key, units in available.items()}
    draws: dict[Key, int] = {}
    short: list[dict[str, Any]] = []

    def take(key: Key, units: int) -> None:
        draws[key] = draws.get(key, 0) + units
        remaining[key] = remaining.get(key, 0) - units

    for (sku, location), units in fixed.items():
        have = remaining.get((sku, location), 0)
        if have >= units or sku in backorder:
            take((sku, location), units)
        else:
            short.append(
                {"sku": sku, "location": location, "requested": units, "available": max(0, have)}
            )

    for sku, units in flexible.items():
        at = {loc: max(0, remaining.get((sku, loc), 0)) for loc in candidates}
        whole = next((loc for loc in candidates if at[loc] >= units), None)
        if whole is not None:
            take((sku, whole), units)
            continue
        total = sum(at.values())
        if total < units and (sku not in backorder or not candidates):
            short.append({"sku": sku, "requested": units, "available": total})
            continue
        need = units
        for loc in candidates:
            part = min(at[loc], need)
            if part > 0:
                take((sku, loc), part)
                need -= part
        if need > 0:
            take((sku, candidates[0]), need)
    return Plan(draws=draws, short=short)
