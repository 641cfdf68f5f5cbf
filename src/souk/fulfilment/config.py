"""Routing configuration, read from Settings (SOUK_ROUTING_*; documented in docs/fulfilment.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from souk.fulfilment.routing_model import Weights
from souk.settings import Settings


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    weights: Weights = field(default_factory=Weights)
    handling: dict[str, float] = field(
        default_factory=lambda: {"warehouse": 150.0, "store": 350.0, "dropship": 250.0}
    )
    store_excluded_categories: frozenset[str] = frozenset()
    time_limit_s: float = 1.0
    transfer_base_hours: float = 24.0
    transfer_hours_per_100km: float = 4.0

    @classmethod
    def from_settings(cls, s: Settings) -> RoutingConfig:
        return cls(
            weights=Weights(
                package_cost=s.routing_package_cost,
                cost_per_km=s.routing_cost_per_km,
                unit_cost_per_km=s.routing_unit_cost_per_km,
                split_penalty=s.routing_split_penalty,
                cross_border_cost=s.routing_cross_border_cost,
            ),
            handling={
                "warehouse": s.routing_handling_cost_warehouse,
                "store": s.routing_handling_cost_store,
                "dropship": s.routing_handling_cost_dropship,
            },
            store_excluded_categories=frozenset(s.routing_store_excluded_categories),
            time_limit_s=s.routing_time_limit_s,
            transfer_base_hours=s.routing_transfer_base_hours,
            transfer_hours_per_100km=s.routing_transfer_hours_per_100km,
        )
