"""Routing: rules, the greedy baseline and the mixed-integer program, without a database."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.fulfilment import milp, routing
from souk.fulfilment.routing import greedy, route
from souk.fulfilment.routing_model import (
    Candidate,
    Destination,
    RoutingLine,
    Weights,
    build_problem,
    cost,
)

PARIS = Destination(48.8566, 2.3522, "FR")


def _store(code: str, lat: float, lon: float, stock: dict[str, int], **kw: Any) -> Candidate:
    return Candidate(code=code, lat=lat, lon=lon, stock=stock, country="FR", **kw)


def test_one_package_from_a_warehouse_beats_three_from_nearby_stores() -> None:
    # Given three stores in Paris holding parts of the order and a warehouse in Lille holding all
    lines = [RoutingLine("l1", "A", 2), RoutingLine("l2", "B", 1), RoutingLine("l3", "C", 1)]
    candidates = [
        _store("store-1", 48.86, 2.35, {"A": 1, "B": 1}, handling_cost=350),
        _store("store-2", 48.87, 2.36, {"A": 1}, handling_cost=350),
        _store("store-3", 48.88, 2.37, {"C": 1}, handling_cost=350),
        _store("wh-lille", 50.63, 3.06, {"A": 9, "B": 9, "C": 9}, handling_cost=150),
    ]
    # When the order is routed greedily and optimally
    baseline = route(lines=lines, candidates=candidates, destination=PARIS, method="greedy")
    best = route(lines=lines, candidates=candidates, destination=PARIS)
    # Then greedy splits into three packages from Paris and the optimiser ships one from Lille
    assert baseline.locations == ("store-1", "store-2", "store-3")
    assert best.locations == ("wh-lille",)
    assert best.method == "milp" and best.solver_status == "optimal"
    assert {(a.line, a.location, a.quantity) for a in best.assignments} == {
        ("l1", "wh-lille", 2),
        ("l2", "wh-lille", 1),
        ("l3", "wh-lille", 1),
    }
    assert best.cost < baseline.cost


def test_rules_exclude_non_shipping_full_and_category_restricted_locations() -> None:
    lines = [RoutingLine("sofa", "SOFA", 1, "furniture"), RoutingLine("tee", "TEE", 1, "tops")]
    candidates = [
        _store("no-ship", 48.85, 2.35, {"SOFA": 5, "TEE": 5}, can_ship=False),
        _store("full", 48.85, 2.35, {"SOFA": 5, "TEE": 5}, capacity=0),
        _store("store", 48.86, 2.35, {"SOFA": 5, "TEE": 5}, excluded_categories={"furniture"}),
        _store("wh", 49.5, 2.8, {"SOFA": 5}),
    ]
    plan = route(lines=lines, candidates=candidates, destination=PARIS)
    assert {(a.sku, a.location) for a in plan.assignments} == {("SOFA", "wh"), ("TEE", "store")}
    assert plan.complete


def test_short_stock_is_reported_not_invented() -> None:
    lines = [RoutingLine("l1", "A", 5), RoutingLine("l2", "B", 1)]
    candidates = [_store("s1", 48.86, 2.35, {"A": 2}), _store("s2", 48.9, 2.4, {"A": 1})]
    plan = route(lines=lines, candidates=candidates, destination=PARIS)
    assert dict(plan.unfulfilled) == {"l1": 2, "l2": 1}
    assert sum(a.quantity for a in plan.assignments) == 3
    assert not plan.complete


def test_no_candidate_at_all_leaves_every_unit_unfulfilled() -> None:
    plan = route(lines=[RoutingLine("l1", "A", 2)], candidates=[], destination=PARIS)
    assert plan.assignments == () and dict(plan.unfulfilled) == {"l1": 2}
    assert plan.solver_status == "no_candidates"


def test_capacity_counts_units_across_lines() -> None:
    lines = [RoutingLine("l1", "A", 2), RoutingLine("l2", "B", 2)]
    candidates = [
        _store("small", 48.86, 2.35, {"A": 9, "B": 9}, capacity=3),
        _store("wh", 50.6, 3.0, {"A": 9, "B": 9}),
    ]
    plan = route(lines=lines, candidates=candidates, destination=PARIS)
    per_location = Counter[str]()
    for a in plan.assignments:
        per_location[a.location] += a.quantity
    assert per_location["small"] <= 3 and plan.complete


def test_cross_border_shipping_costs_more() -> None:
    lines = [RoutingLine("l1", "A", 1)]
    strasbourg = Destination(48.58, 7.75, "FR")
    candidates = [
        Candidate("kehl", 48.57, 7.81, {"A": 1}, country="DE"),
        Candidate("nancy", 48.69, 6.18, {"A": 1}, country="FR"),
    ]
    plan = route(lines=lines, candidates=candidates, destination=strasbourg)
    assert plan.locations == ("nancy",)
    no_border = Weights(cross_border_cost=0.0)
    plan = route(lines=lines, candidates=candidates, destination=strasbourg, weights=no_border)
    assert plan.locations == ("kehl",)


def test_solver_failure_falls_back_to_greedy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(milp, "solve", lambda problem, **kw: (None, "time_limit"))
    lines = [RoutingLine("l1", "A", 1), RoutingLine("l2", "B", 1)]
    candidates = [
        _store("s1", 48.86, 2.35, {"A": 1}),
        _store("s2", 48.87, 2.35, {"B": 1}),
        _store("wh", 50.6, 3.0, {"A": 1, "B": 1}),
    ]
    plan = route(lines=lines, candidates=candidates, destination=PARIS)
    assert plan.method == "greedy" and plan.solver_status == "fallback (time_limit)"
    assert plan.locations == ("s1", "s2")


def test_a_single_nearby_location_holding_everything_skips_the_solver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the solver should not run")

    monkeypatch.setattr(milp, "solve", fail)
    plan = route(
        lines=[RoutingLine("l1", "A", 1)],
        candidates=[_store("s1", 48.86, 2.35, {"A": 1}), _store("s2", 49.0, 2.5, {"A": 1})],
        destination=PARIS,
    )
    assert plan.locations == ("s1",) and plan.solver_status == "proven_optimal"


def test_non_positive_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="non-positive"):
        route(lines=[RoutingLine("l1", "A", 0)], candidates=[], destination=PARIS)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown routing method"):
        route(lines=[RoutingLine("l1", "A", 1)], candidates=[], destination=PARIS, method="x")


# --- invariants -------------------------------------------------------------------------

SKUS = ["A", "B", "C"]

lines_strategy = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 4), st.sampled_from([None, "bulky"])),
    min_size=1,
    max_size=4,
).map(
    lambda rows: [
        # A SKU has one category, whatever line it appears on.
        RoutingLine(f"l{i}", sku, qty, "bulky" if sku == "C" and cat else None)
        for i, (sku, qty, cat) in enumerate(rows)
    ]
)

candidate_strategy = st.builds(
    Candidate,
    code=st.just(""),
    lat=st.floats(43.0, 51.0),
    lon=st.floats(-1.0, 8.0),
    stock=st.fixed_dictionaries({sku: st.integers(0, 4) for sku in SKUS}),
    capacity=st.one_of(st.none(), st.integers(0, 6)),
    handling_cost=st.floats(0, 500),
    excluded_categories=st.sampled_from([frozenset(), frozenset({"bulky"})]),
    can_ship=st.booleans(),
    country=st.sampled_from(["FR", "DE"]),
)
candidates_strategy = st.lists(candidate_strategy, min_size=0, max_size=6).map(
    lambda cands: [replace(c, code=f"loc{j}") for j, c in enumerate(cands)]
)
destination_strategy = st.builds(
    Destination, st.floats(43.0, 51.0), st.floats(-1.0, 8.0), st.sampled_from(["FR", "DE"])
)


def _check_plan_is_valid(plan: Any, lines: list[RoutingLine], cands: list[Candidate]) -> None:
    by_code = {c.code: c for c in cands}
    served = Counter[str]()
    taken = Counter[tuple[str, str]]()
    load = Counter[str]()
    for a in plan.assignments:
        assert a.quantity > 0
        cand = by_code[a.location]
        line = next(line for line in lines if line.key == a.line)
        assert cand.can_ship
        assert line.category not in cand.excluded_categories
        served[a.line] += a.quantity
        taken[(a.sku, a.location)] += a.quantity
        load[a.location] += a.quantity
    for line in lines:
        assert served[line.key] + plan.unfulfilled.get(line.key, 0) == line.quantity
    for (sku, code), qty in taken.items():
        assert qty <= by_code[code].stock[sku]
    for code, qty in load.items():
        capacity = by_code[code].capacity
        assert capacity is None or qty <= capacity


@settings(max_examples=150, deadline=None)
@given(lines=lines_strategy, cands=candidates_strategy, dest=destination_strategy)
def test_every_unit_is_served_once_or_reported_within_stock_and_capacity(
    lines: list[RoutingLine], cands: list[Candidate], dest: Destination
) -> None:
    best = route(lines=lines, candidates=cands, destination=dest)
    baseline = route(lines=lines, candidates=cands, destination=dest, method="greedy")
    _check_plan_is_valid(best, lines, cands)
    _check_plan_is_valid(baseline, lines, cands)
    # The optimiser never leaves more units unserved, and never costs more for as many.
    assert sum(best.unfulfilled.values()) <= sum(baseline.unfulfilled.values())
    if sum(best.unfulfilled.values()) == sum(baseline.unfulfilled.values()):
        assert best.cost <= baseline.cost + 1e-6


@settings(max_examples=150, deadline=None)
@given(lines=lines_strategy, cands=candidates_strategy, dest=destination_strategy)
def test_the_program_alone_is_never_worse_than_greedy(
    lines: list[RoutingLine], cands: list[Candidate], dest: Destination
) -> None:
    # Without the fallback's safety net: HiGHS's own optimum against the greedy plan.
    problem = build_problem(lines=lines, candidates=cands, destination=dest, weights=Weights())
    base = greedy(problem)
    found, status = milp.solve(problem, time_limit_s=5.0)
    assert found is not None and status == "optimal"
    assert found.unfulfilled.sum() <= base.unfulfilled.sum()
    if found.unfulfilled.sum() == base.unfulfilled.sum():
        assert cost(problem, found) <= cost(problem, base) + 1e-6


def test_routing_is_deterministic() -> None:
    rng = np.random.default_rng(7)
    cands = [
        Candidate(f"s{j}", 48 + rng.random(), 2 + rng.random(), {"A": int(rng.integers(0, 3))})
        for j in range(30)
    ]
    lines = [RoutingLine("l1", "A", 3)]
    plans = [route(lines=lines, candidates=cands, destination=PARIS) for _ in range(3)]
    assert plans[0] == plans[1] == plans[2]
    assert routing.DEFAULT_TIME_LIMIT_S > 0
