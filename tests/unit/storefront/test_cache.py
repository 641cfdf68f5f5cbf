"""The page cache's rules, without a database."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from souk.storefront.cache import PageCache, etag_of, matches


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_if_none_match_compares_weakly_against_each_tag_or_star() -> None:
    tag = etag_of(b"page")
    assert matches(tag, tag) and matches(f"W/{tag}", tag) and matches("*", tag)
    assert matches(f'"a", {tag}', tag)
    assert not matches(None, tag) and not matches("", tag) and not matches('"a", "b"', tag)


def test_an_entry_lives_ttl_seconds() -> None:
    clock = Clock()
    cache = PageCache(2.0, clock=clock)
    stored = cache.put("k", b"body", cache.generation)
    assert cache.get("k") == stored and stored.etag == etag_of(b"body")
    clock.now = 1.99
    assert cache.get("k") == stored
    clock.now = 2.0
    assert cache.get("k") is None


def test_a_page_built_across_a_change_is_not_kept() -> None:
    cache = PageCache(2.0, clock=Clock())
    generation = cache.generation
    cache.invalidate()  # a change committed while the page was being built
    answered = cache.put("k", b"old", generation)
    assert answered.body == b"old" and cache.get("k") is None


def test_invalidate_clears_everything_and_the_oldest_entries_go_first() -> None:
    cache = PageCache(2.0, max_entries=2, clock=Clock())
    for key in ("a", "b", "c"):
        cache.put(key, key.encode(), cache.generation)
    assert [cache.get(k) is not None for k in ("a", "b", "c")] == [False, True, True]
    cache.invalidate()
    assert cache.get("b") is None and cache.get("c") is None


def test_a_zero_lifetime_keeps_nothing_but_still_tags() -> None:
    cache = PageCache(0, clock=Clock())
    assert cache.put("k", b"x", cache.generation).etag == etag_of(b"x")
    assert cache.get("k") is None


# An operation: ("put", key, built_before_change), ("get", key), ("change",), ("tick", seconds)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from("abc"), st.booleans()),
        st.tuples(st.just("get"), st.sampled_from("abc")),
        st.tuples(st.just("change")),
        st.tuples(st.just("tick"), st.floats(min_value=0, max_value=3)),
    ),
    max_size=40,
)


@given(operations)
def test_a_page_is_never_served_past_its_lifetime_nor_from_before_a_change(ops: list[Any]) -> None:
    clock = Clock()
    cache = PageCache(2.0, max_entries=2, clock=clock)
    # What the cache may answer for each key: (body, stored at, changes seen when built).
    stored: dict[str, tuple[bytes, float, int]] = {}
    changes = 0
    for n, op in enumerate(ops):
        if op[0] == "put":
            _, key, stale = op
            generation = cache.generation
            if stale:  # a change commits while this page is being built
                cache.invalidate()
                changes += 1
            body = f"{key}{n}".encode()
            cache.put(key, body, generation)
            if not stale:
                stored[key] = (body, clock.now, changes)
        elif op[0] == "get":
            entry = cache.get(op[1])
            if entry is not None:
                body, at, seen = stored[op[1]]
                assert entry.body == body
                assert clock.now - at < 2.0
                assert seen == changes
        elif op[0] == "change":
            cache.invalidate()
            changes += 1
        else:
            clock.now += op[1]
