"""The fraud rules without a database: scores are sums of named weights, decisions follow
the thresholds, and the feedback rule stays within bounds and moves the right way."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from souk.risk.signals import (
    DEFAULT_WEIGHTS,
    MAX_WEIGHT,
    MIN_WEIGHT,
    Decision,
    Facts,
    Limits,
    assess,
    decide,
    fired,
    updated_weight,
)

LIMITS = Limits()
counts = st.one_of(st.none(), st.integers(min_value=0, max_value=50))
countries = st.one_of(st.none(), st.sampled_from(["FR", "JP", "US", "NG"]))
facts = st.builds(
    Facts,
    card_orders_24h=counts,
    email_orders_24h=counts,
    ip_orders_1h=counts,
    device_orders_24h=counts,
    billing_country=countries,
    shipping_country=countries,
    ip_country=countries,
    account_age_days=st.one_of(st.none(), st.floats(min_value=0, max_value=5000)),
    total=st.integers(min_value=0, max_value=10**7),
    high_value=st.integers(min_value=0, max_value=10**6),
    declined_payments=st.integers(min_value=0, max_value=10),
    pickup=st.booleans(),
    pickup_by_other=st.booleans(),
)
weights = st.fixed_dictionaries(
    {name: st.floats(min_value=MIN_WEIGHT, max_value=MAX_WEIGHT) for name in DEFAULT_WEIGHTS}
)


@given(facts, weights)
def test_the_score_is_the_capped_sum_of_the_weights_that_fired(f: Facts, w: dict) -> None:
    score, decision, signals = assess(f, w, LIMITS, review_at=50, reject_at=80)
    assert [s.name for s in signals] == [name for name, _ in fired(f, LIMITS)]
    assert len({s.name for s in signals}) == len(signals)
    assert score == min(100, round(sum(s.weight for s in signals)))
    assert decision is decide(score, review_at=50, reject_at=80)
    assert all(s.detail for s in signals)


@given(facts)
def test_no_single_default_signal_holds_an_order(f: Facts) -> None:
    _score, decision, signals = assess(f, DEFAULT_WEIGHTS, LIMITS, review_at=50, reject_at=80)
    if len(signals) <= 1:
        assert decision is Decision.ACCEPT


@given(facts)
def test_pickup_by_someone_else_never_fires_alone(f: Facts) -> None:
    names = [name for name, _ in fired(f, LIMITS)]
    if "pickup_by_other" in names:
        assert len(names) >= 2


@given(st.floats(min_value=MIN_WEIGHT, max_value=MAX_WEIGHT), st.floats(0.01, 0.99))
def test_feedback_moves_up_for_fraud_down_for_honest_and_stays_in_bounds(
    weight: float, rate: float
) -> None:
    up = updated_weight(weight, fraud=True, rate=rate)
    down = updated_weight(weight, fraud=False, rate=rate)
    assert MIN_WEIGHT <= down <= weight <= up <= MAX_WEIGHT


def test_thresholds() -> None:
    assert [decide(s, review_at=50, reject_at=80) for s in (0, 49, 50, 79, 80, 100)] == [
        Decision.ACCEPT, Decision.ACCEPT, Decision.REVIEW, Decision.REVIEW,
        Decision.REJECT, Decision.REJECT,
    ]  # fmt: skip


def test_velocity_fires_at_its_limit_not_before() -> None:
    assert fired(Facts(card_orders_24h=2), LIMITS) == []
    assert fired(Facts(card_orders_24h=3), LIMITS) == [
        ("card_velocity", "3 earlier orders with this card in 24 h")
    ]
    assert fired(Facts(ip_orders_1h=9), LIMITS) == []
    assert [n for n, _ in fired(Facts(ip_orders_1h=10), LIMITS)] == ["ip_velocity"]


def test_an_old_account_may_spend_a_lot() -> None:
    rich = Facts(total=90_000, high_value=50_000)
    assert [n for n, _ in fired(rich, LIMITS)] == ["new_account_high_value"]  # a guest
    assert fired(Facts(total=90_000, high_value=50_000, account_age_days=30), LIMITS) == []
    assert fired(Facts(total=90_000, high_value=0), LIMITS) == []  # currency not listed
