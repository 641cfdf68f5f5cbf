"""The fraud signals, the score and the decision — pure rules, no database.

Every signal is a yes/no question about one order with a human-readable detail; the score
is the sum of the weights of the signals that fire, capped at 100, so a reviewer can see
exactly why an order scored what it did. The weights start at `DEFAULT_WEIGHTS` and move
with review outcomes (`updated_weight`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Decision(StrEnum):
    ACCEPT = "accept"
    REVIEW = "review"
    REJECT = "reject"


# No signal on its own reaches the review threshold (50): one odd fact about an order is
# common among honest buyers; two or more together are what fraud looks like.
DEFAULT_WEIGHTS: dict[str, float] = {
    "card_velocity": 30.0,
    "email_velocity": 20.0,
    "ip_velocity": 20.0,
    "device_velocity": 20.0,
    "billing_shipping_mismatch": 20.0,
    "ip_country_mismatch": 20.0,
    "new_account_high_value": 30.0,
    "declined_payments": 30.0,
    "pickup_by_other": 30.0,
}
MIN_WEIGHT, MAX_WEIGHT = 1.0, 100.0


@dataclass(frozen=True, slots=True)
class Limits:
    """How many earlier orders in the window make a velocity signal fire, and the rest."""

    card_per_day: int = 3
    email_per_day: int = 3
    device_per_day: int = 3
    # Offices, campuses and shops' Wi-Fi share one address: a high bar.
    ip_per_hour: int = 10
    declines: int = 2
    new_account_days: int = 7


@dataclass(frozen=True, slots=True)
class Facts:
    """What screening knows about one order; None where the checkout did not say."""

    card_orders_24h: int | None = None
    email_orders_24h: int | None = None
    ip_orders_1h: int | None = None
    device_orders_24h: int | None = None
    billing_country: str | None = None
    shipping_country: str | None = None
    ip_country: str | None = None
    account_age_days: float | None = None  # None: a guest, who has no account history
    total: int = 0
    high_value: int = 0  # the order total (minor units) from which an order is "high value"
    declined_payments: int = 0
    pickup: bool = False
    pickup_by_other: bool = False


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: float
    detail: str


def _velocity(name: str, count: int | None, limit: int, what: str) -> tuple[str, str] | None:
    if count is None or count < limit:
        return None
    return name, f"{count} earlier orders with this {what}"


def fired(facts: Facts, limits: Limits) -> list[tuple[str, str]]:
    """(signal, detail) for every signal that fires, in a fixed order."""
    found = [
        _velocity("card_velocity", facts.card_orders_24h, limits.card_per_day, "card in 24 h"),
        _velocity("email_velocity", facts.email_orders_24h, limits.email_per_day, "email in 24 h"),
        _velocity("ip_velocity", facts.ip_orders_1h, limits.ip_per_hour, "IP address in 1 h"),
        _velocity(
            "device_velocity", facts.device_orders_24h, limits.device_per_day, "device in 24 h"
        ),
    ]
    signals = [f for f in found if f is not None]
    billing, shipping, ip = facts.billing_country, facts.shipping_country, facts.ip_country
    if billing and shipping and billing != shipping:
        signals.append(("billing_shipping_mismatch", f"billed in {billing}, shipped to {shipping}"))
    expected = shipping or billing
    if ip and expected and ip != expected:
        signals.append(("ip_country_mismatch", f"ordered from {ip}, for {expected}"))
    new = facts.account_age_days is None or facts.account_age_days < limits.new_account_days
    if new and facts.high_value > 0 and facts.total >= facts.high_value:
        who = (
            "a guest"
            if facts.account_age_days is None
            else f"an account {facts.account_age_days:.1f} days old"
        )
        signals.append(("new_account_high_value", f"{facts.total} (minor units) by {who}"))
    if facts.declined_payments >= limits.declines:
        signals.append(
            ("declined_payments", f"{facts.declined_payments} declined payments before this one")
        )
    # Someone else collecting is normal for a gift; it counts only on an order that
    # already looks wrong for another reason.
    if facts.pickup and facts.pickup_by_other and signals:
        signals.append(("pickup_by_other", "collected by someone other than the buyer"))
    return signals


def assess(
    facts: Facts, weights: dict[str, float], limits: Limits, *, review_at: int, reject_at: int
) -> tuple[int, Decision, list[Signal]]:
    signals = [
        Signal(name, round(weights.get(name, DEFAULT_WEIGHTS[name]), 2), detail)
        for name, detail in fired(facts, limits)
    ]
    score = min(100, round(sum(s.weight for s in signals)))
    return score, decide(score, review_at=review_at, reject_at=reject_at), signals


def decide(score: int, *, review_at: int, reject_at: int) -> Decision:
    if score >= reject_at:
        return Decision.REJECT
    if score >= review_at:
        return Decision.REVIEW
    return Decision.ACCEPT


def updated_weight(weight: float, *, fraud: bool, rate: float) -> float:
    """The feedback rule: each signal that fired on a reviewed order moves by `rate` of
    its weight — up when the reviewer confirmed fraud, down when the order was honest —
    and stays within [MIN_WEIGHT, MAX_WEIGHT]. Signals that did not fire are left alone."""
    moved = weight * (1 + rate) if fraud else weight * (1 - rate)
    return min(MAX_WEIGHT, max(MIN_WEIGHT, moved))
