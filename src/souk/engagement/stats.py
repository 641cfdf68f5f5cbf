"""Experiment results per variant, with SciPy doing the statistics: Wilson score intervals
for each conversion rate (`binomtest(...).proportion_ci`), Newcombe's hybrid score interval
for the difference from the control (built from those Wilson intervals), and Fisher's exact
test against the control.

The stopping rule is fixed in advance, so that looking at the results every day does not
inflate the false-positive rate: nothing is decided until every variant has reached the
experiment's `min_exposures`; then a variant differs from the control when Fisher's p-value
is below alpha / (number of variants − 1) (Bonferroni). The winner is the best rate among
the control and the variants that differ from it; if none differ, there is no difference."""

from __future__ import annotations

import math
from collections import Counter

from sqlalchemy import func, select

from souk.db.uow import UnitOfWork
from souk.engagement.experiments import load
from souk.engagement.schemas import ExperimentResults, ExperimentVariantResult
from souk.engagement.tables import ExposureRow

RULE = (
    "fixed horizon: no decision before every variant has min_exposures exposures; then "
    "Fisher's exact test against the control at alpha/(k-1) (Bonferroni)"
)


def wilson(conversions: int, exposures: int) -> tuple[float, float]:
    if exposures == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest  # seconds to import; only results need it

    ci = binomtest(conversions, exposures).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _compare(
    c: tuple[int, int], control: tuple[int, int]
) -> tuple[float | None, float | None, float | None, float | None]:
    (k1, n1), (k0, n0) = c, control
    if n1 == 0 or n0 == 0:
        return None, None, None, None
    p1, p0 = k1 / n1, k0 / n0
    (l1, u1), (l0, u0) = wilson(k1, n1), wilson(k0, n0)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    from scipy.stats import fisher_exact

    _, p_value = fisher_exact([[k1, n1 - k1], [k0, n0 - k0]])
    return d, low, high, float(p_value)


def results(*, uow: UnitOfWork, experiment_id: str) -> ExperimentResults:
    with uow:
        row = load(uow, experiment_id)
        exposed: Counter[str] = Counter()
        converted: Counter[str] = Counter()
        for variant, total, conversions in uow.session.execute(
            select(ExposureRow.variant, func.count(), func.count(ExposureRow.converted_order))
            .where(ExposureRow.experiment_id == row.id)
            .group_by(ExposureRow.variant)
        ):
            exposed[variant], converted[variant] = int(total), int(conversions)
        names = [str(v["name"]) for v in row.variants]
        alpha, min_exposures, experiment = float(row.alpha), row.min_exposures, row.id
    control = names[0]
    base = (converted[control], exposed[control])
    out: list[ExperimentVariantResult] = []
    for name in names:
        k, n = converted[name], exposed[name]
        low, high = wilson(k, n)
        d, d_low, d_high, p = (
            (None, None, None, None) if name == control else _compare((k, n), base)
        )
        out.append(
            ExperimentVariantResult(
                name=name,
                exposures=n,
                conversions=k,
                rate=k / n if n else 0.0,
                ci_low=low,
                ci_high=high,
                difference=d,
                difference_ci_low=d_low,
                difference_ci_high=d_high,
                p_value=p,
            )
        )
    return _decide(experiment, control, out, min_exposures=min_exposures, alpha=alpha)


def _decide(
    experiment: str,
    control: str,
    out: list[ExperimentVariantResult],
    *,
    min_exposures: int,
    alpha: float,
) -> ExperimentResults:
    if any(v.exposures < min_exposures for v in out):
        return ExperimentResults(
            experiment=experiment, control=control, variants=out, decision="collecting",
            winner=None, rule=RULE,
        )  # fmt: skip
    threshold = alpha / (len(out) - 1)
    differing = [v for v in out[1:] if v.p_value is not None and v.p_value < threshold]
    if not differing:
        return ExperimentResults(
            experiment=experiment, control=control, variants=out, decision="no_difference",
            winner=None, rule=RULE,
        )  # fmt: skip
    best = max([out[0], *differing], key=lambda v: v.rate)
    return ExperimentResults(
        experiment=experiment, control=control, variants=out, decision="winner",
        winner=best.name, rule=RULE,
    )  # fmt: skip
