"""Choosing transfer sources for a store (pure): nearest first, never more than a location
has, as much as the network has up to what is needed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from souk.fulfilment.pickup_sources import Source, choose_sources


@given(
    st.lists(st.integers(0, 10), min_size=0, max_size=6),
    st.integers(0, 40),
)
def test_sources_are_taken_nearest_first_and_never_beyond_their_stock(
    stocks: list[int], quantity: int
) -> None:
    network = [Source(f"loc-{i}", 0, float(i * 10)) for i in range(len(stocks))]
    have = {s.location: q for s, q in zip(network, stocks, strict=True)}
    chosen = choose_sources(network, have, quantity)
    assert sum(s.quantity for s in chosen) == min(quantity, sum(stocks))
    assert all(0 < s.quantity <= have[s.location] for s in chosen)
    assert [s.distance_km for s in chosen] == sorted(s.distance_km for s in chosen)
    # a farther location is used only once every nearer one with stock is emptied
    for s in chosen[:-1]:
        assert s.quantity == have[s.location]
