"""Where a pickup checkout reserves (pure): the store's units at the store, the rest at the
transfer sources, every unit once."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from souk.carts.checkout_plan import pickup_reserve_lines
from souk.orders.placement import PickupSupply

SOURCES = ("wh-1", "wh-2", "store-2")


@st.composite
def supplies(draw: st.DrawFn) -> PickupSupply:
    quantity = draw(st.integers(1, 20))
    at_store = draw(st.integers(0, quantity))
    rest = quantity - at_store
    chosen = draw(st.lists(st.sampled_from(SOURCES), unique=True, max_size=3))
    sources: list[tuple[str, int]] = []
    covered = draw(st.booleans())
    left = rest if covered else draw(st.integers(0, max(0, rest - 1)))
    for i, code in enumerate(chosen):
        units = left if i == len(chosen) - 1 else draw(st.integers(0, left))
        if units:
            sources.append((code, units))
            left -= units
    return PickupSupply(
        sku=draw(st.sampled_from(["A", "B"])),
        quantity=quantity,
        store="store-1",
        at_store=at_store,
        sources=tuple(sources),
        ready_at=None,
        network=quantity,
    )


@given(st.lists(supplies(), min_size=1, max_size=4))
def test_every_unit_is_reserved_once_where_it_will_come_from(lines: list[PickupSupply]) -> None:
    reserved = pickup_reserve_lines("store-1", lines)
    got = Counter[tuple[str, str | None]]()
    for r in reserved:
        assert r.quantity > 0
        got[(r.sku, r.location)] += r.quantity
    want = Counter[tuple[str, str | None]]()
    for x in lines:
        if x.available_now or not x.suppliable:
            # Ready now, or nobody can send it (a backorder): the store's, as before.
            want[(x.sku, "store-1")] += x.quantity
            continue
        want[(x.sku, "store-1")] += x.at_store
        for code, units in x.sources:
            want[(x.sku, code)] += units
    assert got == +want
    assert sum(r.quantity for r in reserved) == sum(x.quantity for x in lines)
