"""Choosing a delivery rate."""

from __future__ import annotations

from souk.shipping.models import ShippingRate, best_quote


def _rate(code: str, amount: int, **changes: object) -> ShippingRate:
    fields: dict[str, object] = {
        "code": code,
        "name": code.title(),
        "countries": ("FR", "DE"),
        "prices": {"EUR": amount},
        "min_weight_g": None,
        "max_weight_g": None,
        "channels": None,
    }
    fields.update(changes)
    return ShippingRate(**fields)  # type: ignore[arg-type]


def test_the_cheapest_applicable_rate_wins() -> None:
    rates = [_rate("express", 1500), _rate("standard", 495)]
    found = best_quote(rates, country="FR", weight_g=500, currency="EUR", channel="web")
    assert found is not None and (found.rate_code, found.amount) == ("standard", 495)


def test_weight_brackets_are_inclusive() -> None:
    rates = [
        _rate("light", 400, max_weight_g=1000),
        _rate("heavy", 900, min_weight_g=1001, max_weight_g=20000),
    ]
    at_limit = best_quote(rates, country="DE", weight_g=1000, currency="EUR", channel="web")
    above = best_quote(rates, country="DE", weight_g=1001, currency="EUR", channel="web")
    too_heavy = best_quote(rates, country="DE", weight_g=20001, currency="EUR", channel="web")
    assert at_limit is not None and at_limit.rate_code == "light"
    assert above is not None and above.rate_code == "heavy"
    assert too_heavy is None


def test_zone_currency_and_channel_must_match() -> None:
    rates = [_rate("app-only", 100, channels=("app",))]
    assert best_quote(rates, country="FR", weight_g=0, currency="EUR", channel="web") is None
    assert best_quote(rates, country="FR", weight_g=0, currency="EUR", channel="app") is not None
    assert best_quote(rates, country="JP", weight_g=0, currency="EUR", channel="app") is None
    assert best_quote(rates, country="FR", weight_g=0, currency="USD", channel="app") is None


def test_ties_go_to_the_smaller_code() -> None:
    rates = [_rate("b", 500), _rate("a", 500)]
    found = best_quote(rates, country="FR", weight_g=1, currency="EUR", channel="web")
    assert found is not None and found.rate_code == "a"
