"""Replenishment rules — pure Python and scipy, no database, no HTTP.

A periodic-review, order-up-to policy (Silver, Pyke & Peterson, ch. 7): every review the
position (available plus inbound) is compared with the reorder point, the demand expected
over the lead time plus safety stock; below it, enough is ordered to reach the order-up-to
level, the demand over the lead time and one review period plus its safety stock. Safety
stock is z·σ at the service level (the chance of not running out in a cycle), σ read from
the forecast's prediction interval, the periods' errors taken as independent.

Redistribution moves units from locations holding more than they will sell before the
next review (with their own safety stock kept) to locations that will fall below their
reorder point, the largest need served first from the largest excess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from souk.forecasting.models import Point


@dataclass(frozen=True, slots=True)
class Policy:
    lead_time_days: float
    review_days: float
    service_level: float
    period_days: int  # 7 for weekly forecasts, 1 for daily
    level: int  # of the forecast's interval, in percent


@dataclass(frozen=True, slots=True)
class Targets:
    sku: str
    location: str
    position: int
    reorder_point: int
    order_up_to: int
    lead_demand: float

    @property
    def shortfall(self) -> int:
        if self.position > self.reorder_point:
            return 0
        return max(0, self.order_up_to - self.position)

    @property
    def excess(self) -> int:
        return max(0, self.position - self.order_up_to)


@dataclass(frozen=True, slots=True)
class Move:
    sku: str
    source: str
    target: str
    quantity: int
    why: str


def _over(points: list[Point], days: float, *, period_days: int, level: int) -> tuple[float, float]:
    """Mean and standard deviation of demand over the next `days`, a partial last period
    counted in proportion."""
    z_interval = NormalDist().inv_cdf(0.5 + level / 200)
    periods = days / period_days
    mean = var = 0.0
    for i, p in enumerate(points):
        share = min(1.0, periods - i)
        if share <= 0:
            break
        sigma = (p.hi - p.lo) / (2 * z_interval) if z_interval > 0 else 0.0
        mean += share * p.mean
        var += share * sigma**2
    return mean, math.sqrt(var)


def targets(
    *, sku: str, location: str, points: list[Point], position: int, policy: Policy
) -> Targets:
    z = NormalDist().inv_cdf(policy.service_level)
    lead_mean, lead_sigma = _over(
        points, policy.lead_time_days, period_days=policy.period_days, level=policy.level
    )
    cycle_mean, cycle_sigma = _over(
        points,
        policy.lead_time_days + policy.review_days,
        period_days=policy.period_days,
        level=policy.level,
    )
    reorder = math.ceil(lead_mean + z * lead_sigma)
    up_to = max(reorder, math.ceil(cycle_mean + z * cycle_sigma))
    return Targets(sku, location, position, reorder, up_to, lead_mean)


def redistribute(stock: list[Targets], *, policy: Policy) -> list[Move]:
    """Transfers of one SKU between its locations; what no transfer covers stays a reorder."""
    moves: list[Move] = []
    days = policy.lead_time_days + policy.review_days
    givers = sorted((t for t in stock if t.excess > 0), key=lambda t: -t.excess)
    spare = {t.location: t.excess for t in givers}
    for needy in sorted((t for t in stock if t.shortfall > 0), key=lambda t: -t.shortfall):
        need = needy.shortfall
        for giver in givers:
            if need == 0:
                break
            quantity = min(need, spare[giver.location])
            if quantity <= 0:
                continue
            spare[giver.location] -= quantity
            need -= quantity
            why = (
                f"{giver.location} holds {giver.position} and needs {giver.order_up_to} "
                f"for the next {days:g} days; {needy.location} holds {needy.position}, "
                f"below its reorder point {needy.reorder_point} "
                f"({policy.service_level:.0%} service level)"
            )
            moves.append(Move(needy.sku, giver.location, needy.location, quantity, why))
    return moves


def reorder_why(t: Targets, policy: Policy) -> str:
    return (
        f"{t.position} available or inbound, reorder point {t.reorder_point}: about "
        f"{t.lead_demand:.1f} will sell over the {policy.lead_time_days:g}-day lead time; "
        f"ordering up to {t.order_up_to} covers one {policy.review_days:g}-day review more "
        f"at a {policy.service_level:.0%} service level"
    )
