"""The routing problem as a mixed-integer program, solved by HiGHS through `scipy.optimize.milp`.

Variables: `y[l]` ∈ {0, 1} (a package leaves location l), `x[i, l]` ∈ ℤ≥0 (units of line i
taken at l) and `u[i]` ∈ ℤ≥0 (units of line i nobody can serve). Minimise
Σ fixed[l]·y[l] + Σ unit[l]·x[i, l] + M·Σ u[i] subject to
  Σ_l x[i, l] + u[i] = qty[i]                 every unit is served once or reported,
  x[i, l] ≤ usable[i, l]·y[l]                 only from an open location, within the rules,
  Σ_i x[i, l] ≤ capacity[l]                   the location's remaining daily capacity,
  Σ_{i of sku s} x[i, l] ≤ stock[s, l]        lines sharing a SKU share its stock.
The per-pair link (rather than one aggregated big-M row per location) keeps the LP
relaxation tight, which is what makes these small programs solve in a few milliseconds.
`u` keeps the program always feasible, so "cannot fulfil" is an answer rather than a
solver failure.
"""

from __future__ import annotations

import numpy as np

from souk.fulfilment.routing_model import Problem, Solution


def solve(
    problem: Problem,
    *,
    time_limit_s: float,
    keep: np.ndarray | None = None,
    mip_rel_gap: float = 1e-6,
) -> tuple[Solution | None, str]:
    """Solve over the locations in `keep` (all by default); (None, why) when no solution.

    A solution found before the time limit is returned with status "time_limit".
    """
    n_lines, n_locs = problem.usable.shape
    locs = np.flatnonzero(keep) if keep is not None else np.arange(n_locs)
    pairs = [(i, int(j)) for i in range(n_lines) for j in locs if problem.usable[i, j] > 0]
    ny, nx = len(locs), len(pairs)
    y_of = {int(j): k for k, j in enumerate(locs)}
    x0, u0 = ny, ny + nx
    n_vars = ny + nx + n_lines

    c = np.concatenate(
        [
            problem.fixed[locs],
            [problem.unit[j] for _, j in pairs],
            np.full(n_lines, problem.unserved_penalty),
        ]
    )
    upper = np.concatenate(
        [np.ones(ny), [problem.usable[i, j] for i, j in pairs], problem.quantities]
    ).astype(np.float64)

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower_b: list[float] = []
    upper_b: list[float] = []

    def add_row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(lower_b)
        for col, val in entries:
            rows.append(r)
            cols.append(col)
            vals.append(val)
        lower_b.append(lo)
        upper_b.append(hi)

    by_line: list[list[int]] = [[] for _ in range(n_lines)]
    by_loc: dict[int, list[tuple[int, int]]] = {}
    for k, (i, j) in enumerate(pairs):
        by_line[i].append(x0 + k)
        by_loc.setdefault(j, []).append((i, x0 + k))
        add_row([(x0 + k, 1.0), (y_of[j], -float(problem.usable[i, j]))], -np.inf, 0.0)
    for i, line in enumerate(problem.lines):
        entries = [(col, 1.0) for col in by_line[i]] + [(u0 + i, 1.0)]
        add_row(entries, float(line.quantity), float(line.quantity))
    sku_lines: dict[str, list[int]] = {}
    for i, line in enumerate(problem.lines):
        sku_lines.setdefault(line.sku, []).append(i)
    for j, members in by_loc.items():
        reach = sum(problem.usable[i, j] for i, _ in members)
        if problem.capacity[j] < reach:
            add_row([(col, 1.0) for _, col in members], -np.inf, float(problem.capacity[j]))
        for sku, line_ids in sku_lines.items():
            shared = [(i, col) for i, col in members if i in line_ids]
            stock = problem.sku_stock[sku][j]
            if len(shared) > 1 and stock < sum(problem.usable[i, j] for i, _ in shared):
                add_row([(col, 1.0) for _, col in shared], -np.inf, float(stock))

    # Imported on the first order that needs the optimiser (most have one candidate location):
    # SciPy's optimize package takes a second or more to import in every worker at start-up.
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    matrix = coo_array((vals, (rows, cols)), shape=(len(lower_b), n_vars)).tocsc()
    try:
        result = milp(
            c,
            integrality=np.ones(n_vars),
            bounds=Bounds(np.zeros(n_vars), upper),
            constraints=LinearConstraint(matrix, lower_b, upper_b),
            options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap},
        )
    except (ValueError, MemoryError) as exc:  # HiGHS refusing the model is a fallback case
        return None, f"error: {exc}"
    if result.x is None:
        return None, "time_limit" if result.status == 1 else f"failed: {result.message}"

    values = np.rint(result.x).astype(np.int64)
    x = np.zeros((n_lines, n_locs), dtype=np.int64)
    for k, (i, j) in enumerate(pairs):
        x[i, j] = values[x0 + k]
    return Solution(x=x, unfulfilled=values[u0:]), "optimal" if result.status == 0 else "time_limit"
