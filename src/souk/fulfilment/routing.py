"""Routing (sourcing): which locations fulfil which units of an order — pure, no database.

Rules first (`routing_model.build_problem`), then optimisation: the mixed-integer program
of `milp.py` with a time limit, and the greedy nearest-location plan as both the baseline
and the fallback. The greedy plan is always computed first; it bounds the program (a
location whose package alone costs more than the whole greedy plan cannot be in a better
one, so it is left out of the program) and it is the answer when the solver fails, runs
out of time without a solution, or finds nothing cheaper. Hence the routed plan never
costs more than greedy's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from souk.fulfilment import milp
from souk.fulfilment.routing_model import (
    Candidate,
    Destination,
    Plan,
    Problem,
    RoutingLine,
    Solution,
    Weights,
    build_problem,
    is_feasible,
    penalised_cost,
    to_plan,
)

DEFAULT_TIME_LIMIT_S = 1.0


def greedy(problem: Problem) -> Solution:
    """Nearest location first, line by line: take what it has, move to the next nearest."""
    n_lines, n_locs = problem.usable.shape
    # Ties (same distance, or no coordinates) go to the earlier candidate: the channel's
    # order of preference.
    order = sorted(range(n_locs), key=lambda j: (problem.distance_km[j], j))
    stock = {sku: arr.copy() for sku, arr in problem.sku_stock.items()}
    capacity = problem.capacity.copy()
    x = np.zeros((n_lines, n_locs), dtype=np.int64)
    unfulfilled = np.zeros(n_lines, dtype=np.int64)
    for i, line in enumerate(problem.lines):
        remaining = line.quantity
        sku_stock = stock[line.sku]
        for j in order:
            if remaining == 0:
                break
            if problem.usable[i, j] == 0:
                continue
            take = min(remaining, int(sku_stock[j]), int(capacity[j]))
            if take > 0:
                x[i, j] += take
                sku_stock[j] -= take
                capacity[j] -= take
                remaining -= take
        unfulfilled[i] = remaining
    return Solution(x=x, unfulfilled=unfulfilled)


def route(
    *,
    lines: Sequence[RoutingLine],
    candidates: Sequence[Candidate],
    destination: Destination,
    weights: Weights | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    method: str = "milp",
) -> Plan:
    """The cheapest plan found; `method="greedy"` gives the baseline alone."""
    problem = build_problem(
        lines=lines, candidates=candidates, destination=destination, weights=weights or Weights()
    )
    base = greedy(problem)
    if method == "greedy":
        return to_plan(problem, base, method="greedy", status="baseline")
    if method != "milp":
        raise ValueError(f"unknown routing method {method!r}")
    if not problem.codes:
        return to_plan(problem, base, method="greedy", status="no_candidates")
    bound = penalised_cost(problem, base)
    if base.x.sum(axis=0).astype(bool).sum() <= 1 and _single_package_optimal(problem, base):
        return to_plan(problem, base, method="greedy", status="proven_optimal")
    keep = problem.fixed + problem.unit <= bound + 1e-9
    found, status = milp.solve(problem, time_limit_s=time_limit_s, keep=keep)
    if found is None or not is_feasible(problem, found):
        return to_plan(problem, base, method="greedy", status=f"fallback ({status})")
    if penalised_cost(problem, found) < bound - 1e-9:
        return to_plan(problem, found, method="milp", status=status)
    return to_plan(problem, base, method="greedy", status=f"milp_no_better ({status})")


def _single_package_optimal(problem: Problem, base: Solution) -> bool:
    """True when the greedy plan is one package that no plan can beat.

    Every plan that serves all units opens at least one package and ships every unit, so
    min(fixed) + Σqty·min(unit) is a lower bound; greedy meeting it is optimal, and the
    program need not run (the common case of a nearby location holding everything).
    """
    if base.unfulfilled.any():
        return False
    total = int(base.x.sum())
    lower = float(problem.fixed.min() - problem.split_penalty + total * problem.unit.min())
    return penalised_cost(problem, base) <= lower + 1e-9
