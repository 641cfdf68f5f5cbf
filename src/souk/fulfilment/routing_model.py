"""The routing (sourcing) problem as pure values: inputs, the eligibility rules and the cost.

No database and no solver here. `build_problem` applies the rules (a location that cannot
ship, has no capacity left or may not ship a category is out for that line; availability is
already net of safety stock) and turns what is left into arrays that the greedy baseline and
the mixed-integer program both read, so that both are scored by the same `cost`.

Costs are in abstract cost units (think: minor units of the shop's currency). A package
from location `l` costs `package_cost + cost_per_km · d(l) + handling(l)` (plus
`cross_border_cost` if it crosses a border), each unit in it `unit_cost_per_km · d(l)`, and
every package beyond the first adds `split_penalty` (the customer waits for several parcels).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RoutingLine:
    key: str
    sku: str
    quantity: int
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A location that might fulfil part of an order, as the rules see it.

    `stock` is what may be promised per SKU (on hand − reserved − allocated − safety stock);
    `capacity` the units it can still handle today (None: no limit).
    """

    code: str
    lat: float
    lon: float
    stock: Mapping[str, int]
    capacity: int | None = None
    handling_cost: float = 0.0
    excluded_categories: frozenset[str] = frozenset()
    can_ship: bool = True
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    lat: float
    lon: float
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Weights:
    """The cost weights; defaults documented in docs/fulfilment.md (SOUK_ROUTING_*)."""

    package_cost: float = 450.0
    cost_per_km: float = 0.6
    unit_cost_per_km: float = 0.05
    split_penalty: float = 300.0
    cross_border_cost: float = 900.0


@dataclass(frozen=True, slots=True)
class Assignment:
    line: str
    sku: str
    location: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Plan:
    """Where each unit comes from. `unfulfilled` lists line keys no location can serve."""

    assignments: tuple[Assignment, ...]
    unfulfilled: Mapping[str, int]
    cost: float | None  # None: not priced (nothing to choose, see sourcing._only_choice)
    method: str
    solver_status: str
    locations: tuple[str, ...] = field(default=())

    @property
    def packages(self) -> int:
        return len(self.locations)

    @property
    def complete(self) -> bool:
        return not self.unfulfilled


@dataclass(frozen=True, slots=True)
class Solution:
    """Units of line i taken at location l (`x[i, l]`) and units left unserved per line."""

    x: IntArray
    unfulfilled: IntArray


@dataclass(frozen=True, slots=True)
class Problem:
    lines: tuple[RoutingLine, ...]
    codes: tuple[str, ...]
    distance_km: FloatArray
    fixed: FloatArray  # cost of opening a package at each location (split penalty included)
    unit: FloatArray  # cost per unit shipped from each location
    usable: IntArray  # upper bound on x[i, l]: 0 where a rule forbids it
    sku_stock: Mapping[str, IntArray]  # shared by lines of the same SKU
    capacity: IntArray
    split_penalty: float

    @property
    def quantities(self) -> IntArray:
        return np.array([line.quantity for line in self.lines], dtype=np.int64)

    @property
    def unserved_penalty(self) -> float:
        """A unit left unserved costs more than any plan that serves it could."""
        total = int(self.quantities.sum())
        return float(self.fixed.sum() + self.unit.sum() * total) + 1.0


def haversine_km(lat1: float, lon1: float, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - math.radians(lon1)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def build_problem(
    *,
    lines: Sequence[RoutingLine],
    candidates: Sequence[Candidate],
    destination: Destination,
    weights: Weights,
) -> Problem:
    """Apply the rules and keep the candidates that can serve at least one unit."""
    for line in lines:
        if line.quantity <= 0:
            raise ValueError(f"line {line.key!r} has a non-positive quantity")
    kept: list[Candidate] = []
    usable_rows: list[list[int]] = []
    for cand in candidates:
        if not cand.can_ship or (cand.capacity is not None and cand.capacity <= 0):
            continue
        row = [
            0
            if line.category is not None and line.category in cand.excluded_categories
            else max(0, min(line.quantity, int(cand.stock.get(line.sku, 0))))
            for line in lines
        ]
        if any(row):
            kept.append(cand)
            usable_rows.append(row)
    n = len(kept)
    lat = np.array([c.lat for c in kept], dtype=np.float64)
    lon = np.array([c.lon for c in kept], dtype=np.float64)
    dist = haversine_km(destination.lat, destination.lon, lat, lon) if n else np.zeros(0)
    border = np.array(
        [
            weights.cross_border_cost
            if destination.country and c.country and c.country != destination.country
            else 0.0
            for c in kept
        ],
        dtype=np.float64,
    )
    handling = np.array([c.handling_cost for c in kept], dtype=np.float64)
    fixed = weights.package_cost + weights.cost_per_km * dist + handling + border
    fixed = fixed + weights.split_penalty
    total = sum(line.quantity for line in lines)
    capacity = np.array(
        [total if c.capacity is None else min(total, c.capacity) for c in kept], dtype=np.int64
    )
    skus = {line.sku for line in lines}
    sku_stock = {
        sku: np.array([max(0, int(c.stock.get(sku, 0))) for c in kept], dtype=np.int64)
        for sku in skus
    }
    usable = np.array(usable_rows, dtype=np.int64).T if n else np.zeros((len(lines), 0), np.int64)
    return Problem(
        lines=tuple(lines),
        codes=tuple(c.code for c in kept),
        distance_km=dist,
        fixed=fixed,
        unit=weights.unit_cost_per_km * dist,
        usable=usable.reshape(len(lines), n),
        sku_stock=sku_stock,
        capacity=capacity,
        split_penalty=weights.split_penalty,
    )


def cost(problem: Problem, solution: Solution) -> float:
    """The plan's cost, without the penalty for unserved units."""
    used = solution.x.sum(axis=0) > 0
    if not used.any():
        return 0.0
    return float(
        problem.fixed[used].sum() - problem.split_penalty + (solution.x.sum(axis=0) @ problem.unit)
    )


def penalised_cost(problem: Problem, solution: Solution) -> float:
    return cost(problem, solution) + problem.unserved_penalty * float(solution.unfulfilled.sum())


def is_feasible(problem: Problem, solution: Solution) -> bool:
    x = solution.x
    if x.shape != problem.usable.shape or (x < 0).any() or (solution.unfulfilled < 0).any():
        return False
    if (x > problem.usable).any() or (x.sum(axis=0) > problem.capacity).any():
        return False
    if not np.array_equal(x.sum(axis=1) + solution.unfulfilled, problem.quantities):
        return False
    for sku, stock in problem.sku_stock.items():
        rows = [i for i, line in enumerate(problem.lines) if line.sku == sku]
        if (x[rows].sum(axis=0) > stock).any():
            return False
    return True


def to_plan(problem: Problem, solution: Solution, *, method: str, status: str) -> Plan:
    assignments = tuple(
        Assignment(line.key, line.sku, problem.codes[j], int(solution.x[i, j]))
        for i, line in enumerate(problem.lines)
        for j in np.flatnonzero(solution.x[i])
    )
    unfulfilled = {
        line.key: int(solution.unfulfilled[i])
        for i, line in enumerate(problem.lines)
        if solution.unfulfilled[i] > 0
    }
    used = np.flatnonzero(solution.x.sum(axis=0) > 0)
    return Plan(
        assignments=assignments,
        unfulfilled=unfulfilled,
        cost=cost(problem, solution),
        method=method,
        solver_status=status,
        locations=tuple(problem.codes[j] for j in used),
    )
